// Filter editor: the filter list, the regexes of one filter, a new filter; a regex that does
// not compile is reported by the server at its field.
import { useEffect, useState } from 'preact/hooks';
import { api, unwrapResult, withFieldErrors } from '../../lib/api';
import { useAction, useAsync, type ActionState } from '../../lib/hooks';
import { listSome } from '../../lib/format';
import type { Route } from '../../lib/url';
import { changedFields, splitLines } from '../../lib/configKeys';
import type { FilterConfig } from '../../lib/types';
import { ActionStatus, ConfirmButton, ErrorBox, Field, fieldProps, Loading } from '../../components/ui';
import { ConfigList, useConfigList } from '../../components/ConfigList';

export function FiltersTab({ route }: { route: Route }) {
  const host = route.query.host;
  const selected = route.query.filter;
  const { list, go } = useConfigList(route, 'filters');
  const [deleted, setDeleted] = useState<ActionState>({ busy: false });
  return (
    <div class="split">
      <ConfigList route={route} list={list} go={go} param="filter" label="Filters" status={<ActionStatus state={deleted} />}>
        <NewFilter onCreated={(name) => { list.reload(); go({ filter: name }); }} />
      </ConfigList>
      {selected ? (
        <FilterEditor
          key={selected + (host ?? '')}
          name={selected}
          onChanged={list.reload}
          onDeleted={(message) => {
            setDeleted({ busy: false, message });
            list.reload();
            go({ filter: undefined });
          }}
        />
      ) : (
        <p class="muted">Select a filter to edit it.</p>
      )}
    </div>
  );
}

function NewFilter({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [regex, setRegex] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    setErrors({});
    run(
      () =>
        withFieldErrors(api.post('/config/filters', { name: name.trim(), failregex: splitLines(regex) }), setErrors),
      `Filter ${name} created.`,
    ).then((ok) => ok && onCreated(name.trim()));
  };
  return (
    <details>
      <summary>New filter</summary>
      <form onSubmit={submit} noValidate>
        <Field id="new-filter-name" label="Name" error={errors.name}>
          <input type="text" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...fieldProps('new-filter-name', errors.name)} />
        </Field>
        <Field id="new-filter-failregex" label="failregex (one per line)" error={errors.failregex}>
          <textarea rows={3} class="mono" value={regex} onInput={(e) => setRegex((e.target as HTMLTextAreaElement).value)} {...(fieldProps('new-filter-failregex', errors.failregex) as object)} />
        </Field>
        <button type="submit" disabled={action.busy || !name.trim() || !regex.trim()}>
          Create
        </button>
        <ActionStatus state={action} />
      </form>
    </details>
  );
}

type Form = {
  failregex: string;
  ignoreregex: string;
  prefregex: string;
  datepattern: string;
  maxlines: string;
  journalmatch: string;
};

function toForm(f: FilterConfig): Form {
  return {
    failregex: f.failregex.join('\n'),
    ignoreregex: f.ignoreregex.join('\n'),
    prefregex: f.prefregex ?? '',
    datepattern: f.datepattern ?? '',
    maxlines: f.maxlines ?? '',
    journalmatch: f.journalmatch ?? '',
  };
}

function FilterEditor({ name, onChanged, onDeleted }: { name: string; onChanged: () => void; onDeleted: (message: string) => void }) {
  const enc = encodeURIComponent(name);
  const detail = useAsync((signal) => api.get<FilterConfig>(`/config/filters/${enc}`, { signal }), [name]);
  const [form, setForm] = useState<Form>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  useEffect(() => {
    if (detail.data) setForm(toForm(unwrapResult<FilterConfig>(detail.data)));
  }, [detail.data]);
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data || !form) return <Loading />;
  const f = detail.data;
  const before = toForm(f);
  const changes = changedFields(before, form, { failregex: 'lines', ignoreregex: 'lines', maxlines: 'number' });
  const set = (k: keyof Form) => (e: Event) => {
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
    setErrors(({ [k]: _, ...rest }) => rest);
  };
  const save = (e: Event) => {
    e.preventDefault();
    setErrors({});
    run(
      () =>
        withFieldErrors(api.put(`/config/filters/${enc}`, changes), setErrors),
      `Filter ${name} saved to filter.d/${name}.local.`,
    ).then((ok) => {
      if (ok) {
        detail.reload();
        onChanged();
      }
    });
  };
  const area = (k: keyof Form, label: string, rows = 4) => (
    <Field id={'filter-' + k} label={label} error={errors[k]}>
      <textarea rows={rows} class="mono" spellcheck={false} value={form[k]} onInput={set(k)} {...(fieldProps('filter-' + k, errors[k]) as object)} />
    </Field>
  );
  const text = (k: keyof Form, label: string) => (
    <Field id={'filter-' + k} label={label} error={errors[k]}>
      <input type="text" class="mono" value={form[k]} onInput={set(k)} {...fieldProps('filter-' + k, errors[k])} />
    </Field>
  );
  return (
    <section class="card" aria-labelledby="filter-editor-title">
      <h2 id="filter-editor-title">Filter {name}</h2>
      <p class="muted small">
        {f.shipped ? 'Shipped with fail2ban' : 'Custom'}; files {f.files.join(', ')}; used by {listSome(f.used_by, 8, 'no jail')}.
      </p>
      <form onSubmit={save} noValidate>
        {area('failregex', 'failregex (one per line)', 6)}
        {area('ignoreregex', 'ignoreregex (one per line)', 2)}
        <div class="form-grid">
          {text('prefregex', 'prefregex')}
          {text('datepattern', 'datepattern')}
          {text('maxlines', 'maxlines')}
          {text('journalmatch', 'journalmatch')}
        </div>
        <div class="row">
          <button type="submit" class="primary" disabled={action.busy || Object.keys(changes).length === 0}>
            Save
          </button>
          {f.has_local ? (
            <ConfirmButton
              label={f.shipped ? 'Delete local override' : 'Delete filter'}
              question={f.shipped ? `Delete filter.d/${name}.local? The shipped filter stays.` : `Delete the filter ${name} (filter.d/${name}.local)?`}
              confirmLabel="Delete"
              onConfirm={() => {
                const message = f.shipped ? `Deleted the local override of ${name}.` : `Deleted filter ${name}.`;
                run(() => api.del(`/config/filters/${enc}`), message).then((ok) => ok && (f.shipped ? detail.reload() : onDeleted(message)));
              }}
            />
          ) : null}
        </div>
        <ActionStatus state={action} />
      </form>
    </section>
  );
}
