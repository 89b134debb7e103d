// The searchable list of one kind of config file (filters or actions) shown beside its editor.
// The selection and the search live in the URL, so a view can be bookmarked.
import type { ComponentChildren } from 'preact';
import { api } from '../lib/api';
import { useAsync, type Async } from '../lib/hooks';
import { navigate } from '../lib/router';
import { buildUrl, patchQuery, type Route } from '../lib/url';
import type { FilterSummary } from '../lib/types';
import { ErrorBox, Loading } from './ui';

export type ConfigKind = 'filters' | 'actions';

/** The list of `kind` for the host in the URL, and a way to change the URL's query. */
export function useConfigList(route: Route, kind: ConfigKind) {
  const host = route.query.host;
  const list = useAsync((signal) => api.get<{ items: FilterSummary[] }>(`/config/${kind}`, { signal }), [host, kind]);
  const go = (patch: Record<string, string | undefined>) => navigate(buildUrl(location.pathname, patchQuery(route.query, patch)), true);
  return { list, go };
}

export function ConfigList(props: {
  route: Route;
  list: Async<{ items: FilterSummary[] }>;
  go: (patch: Record<string, string | undefined>) => void;
  /** The query parameter holding the selected name. */
  param: 'filter' | 'action';
  /** Plural title, e.g. "Filters". */
  label: string;
  /** Shown under the title (e.g. the result of a delete). */
  status?: ComponentChildren;
  /** Shown under the list (e.g. a form for a new one). */
  children?: ComponentChildren;
}) {
  const { route, list, go, param, label } = props;
  const selected = route.query[param];
  const search = route.query.q ?? '';
  const items = (list.data?.items ?? []).filter((f) => !search || f.name.includes(search));
  const id = `${param}s-title`;
  const noun = label.toLowerCase();
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{label}</h2>
      {props.status}
      <label class="search">
        <span class="sr-only">Search {noun}</span>
        <input type="search" placeholder={`Search ${noun}…`} value={search} onInput={(e) => go({ q: (e.target as HTMLInputElement).value || undefined })} />
      </label>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {list.data ? (
        <ul class="pick-list" aria-label={label}>
          {items.map((f) => (
            <li key={f.name} class={f.name === selected ? 'selected' : ''}>
              <a href={buildUrl(location.pathname, { ...route.query, [param]: f.name })} aria-current={f.name === selected ? 'true' : undefined}>
                {f.name}
              </a>{' '}
              {f.active ? <span class="badge ok">in use</span> : null} {f.has_local ? <span class="badge warn">local</span> : null}
            </li>
          ))}
        </ul>
      ) : !list.error ? (
        <Loading />
      ) : null}
      {props.children}
    </section>
  );
}
