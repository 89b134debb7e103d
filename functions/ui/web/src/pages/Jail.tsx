// Jail detail: runtime settings, banned IPs (search, pages), ban/unban, ignore list.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { useAction, useAsync, usePoll } from '../lib/hooks';
import { formatDuration, formatNumber, formatTime } from '../lib/format';
import { paginate } from '../lib/pagination';
import { navigate } from '../lib/router';
import { buildUrl, carryQuery, pageOf, patchQuery, type Route } from '../lib/url';
import { isIp, isIpOrNetwork } from '../lib/validate';
import type { BannedIp, JailDetail } from '../lib/types';
import { ActionStatus, ConfirmButton, ErrorBox, Field, fieldProps, Loading, Pager } from '../components/ui';

interface BannedResponse {
  jail: string;
  items: BannedIp[];
}

export function JailPage({ route }: { route: Route }) {
  const name = route.params.name;
  const host = route.query.host;
  const enc = encodeURIComponent(name);
  const detail = useAsync((signal) => api.get<{ jail: JailDetail; ignore_list: string[] }>(`/jails/${enc}`, { signal }), [name, host]);
  const banned = useAsync((signal) => api.get<BannedResponse>(`/jails/${enc}/banned`, { signal, query: { page_size: 500 } }), [name, host]);
  const [action, run] = useAction();
  const [banIp, setBanIp] = useState('');
  const [ignoreIp, setIgnoreIp] = useState('');
  const search = route.query.q ?? '';
  const page = pageOf(route.query);
  usePoll(() => {
    detail.reload();
    banned.reload();
  }, 30_000);

  const reload = () => {
    detail.reload();
    banned.reload();
  };
  const setQuery = (patch: Record<string, string | number | undefined>) => navigate(buildUrl(location.pathname, patchQuery(route.query, patch)), true);

  const doBan = (e: Event) => {
    e.preventDefault();
    const ip = banIp.trim();
    if (!isIp(ip)) return;
    run(() => api.post('/bans', { ip, jail: name }), `${ip} banned in ${name}.`).then((ok) => {
      if (ok) setBanIp('');
      reload();
    });
  };
  const unban = (ip: string) => run(() => api.del('/bans', { ip, jail: name }), `${ip} unbanned from ${name}.`).then(reload);
  const addIgnore = (e: Event) => {
    e.preventDefault();
    const ip = ignoreIp.trim();
    if (!isIpOrNetwork(ip)) return;
    run(() => api.post(`/jails/${enc}/ignoreip`, { ip }), `${ip} added to the ignore list.`).then((ok) => {
      if (ok) setIgnoreIp('');
      reload();
    });
  };

  // newest first, so a ban just made is on the first page
  const items = (banned.data?.items ?? [])
    .filter((b) => !search || b.ip.includes(search.trim()))
    .sort((a, b) => (b.banned_at ?? '').localeCompare(a.banned_at ?? ''));
  const paged = paginate(items, page, 20);
  const j = detail.data?.jail;
  const banError = banIp.trim() && !isIp(banIp) ? 'Enter an IPv4 or IPv6 address.' : null;
  const ignoreError = ignoreIp.trim() && !isIpOrNetwork(ignoreIp) ? 'Enter an address or a network (CIDR).' : null;

  return (
    <section aria-labelledby="jail-title">
      <p>
        <a href={buildUrl('/jails', carryQuery(route.query))}>‹ All jails</a>
      </p>
      <div class="page-head">
        <h1 id="jail-title">
          Jail {name}
          {host ? <span class="muted"> on {host}</span> : null}
        </h1>
        {j ? (
          <div class="row">
            <span class={'badge ' + (j.running ? (j.idle ? 'warn' : 'ok') : 'off')}>{j.running ? (j.idle ? 'idle' : 'running') : 'stopped'}</span>
            <a class="button" href={buildUrl('/config/jails', { ...carryQuery(route.query), jail: name })}>
              Edit configuration
            </a>
          </div>
        ) : null}
      </div>
      <ActionStatus state={action} />
      {detail.error ? <ErrorBox error={detail.error} /> : null}
      {!j && !detail.error ? <Loading /> : null}
      {j ? (
        <div class="grid">
          <section class="card" aria-labelledby="runtime-title">
            <h2 id="runtime-title">Runtime settings</h2>
            <dl class="kv" data-testid="jail-settings">
              <dt>Max retry</dt>
              <dd data-key="max_retry">{j.max_retry}</dd>
              <dt>Find time</dt>
              <dd>{formatDuration(j.find_time)}</dd>
              <dt>Ban time</dt>
              <dd>{formatDuration(j.ban_time)}</dd>
              <dt>Failed now / total</dt>
              <dd>
                {formatNumber(j.currently_failed)} / {formatNumber(j.total_failed)}
              </dd>
              <dt>Banned now / total</dt>
              <dd>
                {formatNumber(j.currently_banned)} / {formatNumber(j.total_banned)}
              </dd>
              <dt>Log paths</dt>
              <dd class="mono">{j.log_paths.join(', ') || '–'}</dd>
              <dt>Actions</dt>
              <dd>{j.actions.join(', ') || '–'}</dd>
              <dt>Use DNS</dt>
              <dd>{j.use_dns ?? '–'}</dd>
              <dt>Date pattern</dt>
              <dd class="mono">{j.date_pattern ?? '–'}</dd>
              <dt>Ban time escalation</dt>
              <dd>{j.bantime_escalation?.increment ? 'on' : 'off'}</dd>
            </dl>
            <details>
              <summary>Fail regex ({j.fail_regex.length})</summary>
              <ul class="mono small regex-list">
                {j.fail_regex.map((r, i) => (
                  <li key={i}>{r}</li>
                ))}
              </ul>
            </details>
          </section>
          <section class="card" aria-labelledby="ban-title">
            <h2 id="ban-title">Ban or unban an address</h2>
            <form onSubmit={doBan} class="inline-form" noValidate>
              <Field id="ban-ip" label="IP address" error={banError}>
                <input type="text" inputMode="text" value={banIp} onInput={(e) => setBanIp((e.target as HTMLInputElement).value)} {...fieldProps('ban-ip', banError)} />
              </Field>
              <button type="submit" class="primary" disabled={action.busy || !banIp.trim() || !!banError}>
                Ban
              </button>
              <button type="button" disabled={action.busy || !banIp.trim() || !!banError} onClick={() => unban(banIp.trim())}>
                Unban
              </button>
            </form>
            <h2 id="ignore-title">Ignore list</h2>
            <label class="switch">
              <input
                type="checkbox"
                checked={j.ignore_self}
                disabled={action.busy}
                onChange={(e) => {
                  const enabled = (e.target as HTMLInputElement).checked;
                  run(() => api.post(`/jails/${enc}/ignoreself`, { enabled }), `Ignore self ${enabled ? 'on' : 'off'}.`).then(reload);
                }}
              />{' '}
              Ignore this host's own addresses (ignoreself)
            </label>
            <ul class="chips" aria-labelledby="ignore-title">
              {(detail.data?.ignore_list ?? []).map((ip) => (
                <li key={ip}>
                  <span class="mono">{ip}</span>
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove ${ip} from the ignore list`}
                    disabled={action.busy}
                    onClick={() => run(() => api.del(`/jails/${enc}/ignoreip`, { ip }), `${ip} removed from the ignore list.`).then(reload)}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
            <form onSubmit={addIgnore} class="inline-form" noValidate>
              <Field id="ignore-ip" label="Add address or network" error={ignoreError}>
                <input type="text" value={ignoreIp} onInput={(e) => setIgnoreIp((e.target as HTMLInputElement).value)} {...fieldProps('ignore-ip', ignoreError)} />
              </Field>
              <button type="submit" disabled={action.busy || !ignoreIp.trim() || !!ignoreError}>
                Add
              </button>
            </form>
          </section>
        </div>
      ) : null}
      <section class="card" aria-labelledby="banned-title">
        <div class="page-head">
          <h2 id="banned-title">Banned addresses</h2>
          <label class="search">
            <span class="sr-only">Search banned addresses</span>
            <input type="search" placeholder="Search IP…" value={search} onInput={(e) => setQuery({ q: (e.target as HTMLInputElement).value || undefined })} />
          </label>
        </div>
        {banned.error ? <ErrorBox error={banned.error} /> : null}
        {banned.data ? (
          <>
            <div class="table-wrap">
              <table data-testid="banned-table">
                <caption class="sr-only">Addresses banned in {name}</caption>
                <thead>
                  <tr>
                    <th scope="col">IP</th>
                    <th scope="col">Banned at</th>
                    <th scope="col" class="hide-narrow">Expires</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {paged.items.length === 0 ? (
                    <tr>
                      <td colSpan={4} class="muted">
                        {search ? 'No banned address matches.' : 'No address is banned.'}
                      </td>
                    </tr>
                  ) : (
                    paged.items.map((b) => (
                      <tr key={b.ip} data-ip={b.ip}>
                        <td class="mono">
                          <a href={buildUrl('/history/' + encodeURIComponent(b.ip), carryQuery(route.query))}>{b.ip}</a>
                        </td>
                        <td>{formatTime(b.banned_at)}</td>
                        <td class="hide-narrow">{b.permanent ? 'never' : formatTime(b.expires_at)}</td>
                        <td>
                          <button type="button" disabled={action.busy} onClick={() => unban(b.ip)} aria-label={`Unban ${b.ip}`}>
                            Unban
                          </button>
                        </td>
                      </tr>
                    ))
                  )}
                </tbody>
              </table>
            </div>
            <Pager pagination={paged.pagination} onPage={(p) => setQuery({ page: p > 1 ? p : undefined, q: search || undefined })} label="Banned address pages" />
            <ConfirmButton
              label="Unban all in this jail"
              question={`Unban all ${banned.data.items.length} addresses from ${name}?`}
              confirmLabel="Unban all"
              disabled={action.busy || banned.data.items.length === 0}
              onConfirm={() =>
                run(async () => {
                  for (const b of banned.data!.items) await api.del('/bans', { ip: b.ip, jail: name });
                }, `All addresses unbanned from ${name}.`).then(reload)
              }
            />
          </>
        ) : !banned.error ? (
          <Loading />
        ) : null}
      </section>
    </section>
  );
}
