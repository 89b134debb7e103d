// Jail configuration: active and inactive jails, activate/deactivate, the per-jail editor with
// commit and rollback; the server's validation errors appear at the offending key.
import { useEffect, useState } from 'preact/hooks';
import { api, unwrapResult, type ApiError } from '../../lib/api';
import { useAction, useAsync } from '../../lib/hooks';
import { navigate } from '../../lib/router';
import { buildUrl, patchQuery, type Route } from '../../lib/url';
import { changedFields, fieldForKey } from '../../lib/configKeys';
import type { JailConfigDetail, JailConfigSummary } from '../../lib/types';
import { ActionStatus, ConfirmButton, ErrorBox, Field, fieldProps, Loading } from '../../components/ui';

export function JailsTab({ route }: { route: Route }) {
  const host = route.query.host;
  const selected = route.query.jail;
  const filter = route.query.show ?? 'all';
  const list = useAsync((signal) => api.get<{ items: JailConfigSummary[] }>('/config/jails', { signal }), [host]);
  const [action, run] = useAction();
  const go = (patch: Record<string, string | undefined>, replace = false) => navigate(buildUrl(location.pathname, patchQuery(route.query, patch)), replace);

  const setEnabled = (name: string, enabled: boolean) =>
    run(async () => {
      await api.put(`/config/jails/${encodeURIComponent(name)}`, { enabled });
      await api.post(`/config/jails/${encodeURIComponent(name)}/commit`);
    }, `Jail ${name} ${enabled ? 'activated' : 'deactivated'}.`).then(list.reload);

  const search = route.query.q ?? '';
  // active jails first, then by name
  const items = (list.data?.items ?? [])
    .filter((j) => (filter === 'active' ? j.enabled : filter === 'inactive' ? !j.enabled : true))
    .filter((j) => !search || j.name.includes(search))
    .sort((a, b) => Number(b.enabled) - Number(a.enabled) || a.name.localeCompare(b.name));
  return (
    <div class="split">
      <section class="card" aria-labelledby="cfg-jails-title">
        <div class="page-head">
          <h2 id="cfg-jails-title">Jails</h2>
          <label>
            Show{' '}
            <select value={filter} onChange={(e) => go({ show: (e.target as HTMLSelectElement).value === 'all' ? undefined : (e.target as HTMLSelectElement).value })}>
              <option value="all">all</option>
              <option value="active">active</option>
              <option value="inactive">inactive</option>
            </select>
          </label>
        </div>
        <label class="search">
          <span class="sr-only">Search jails</span>
          <input type="search" placeholder="Search jails…" value={search} onInput={(e) => go({ q: (e.target as HTMLInputElement).value || undefined }, true)} />
        </label>
        <ActionStatus state={action} />
        {list.error ? <ErrorBox error={list.error} /> : null}
        {list.data ? (
          <div class="table-wrap scroll">
            <table data-testid="config-jails">
              <caption class="sr-only">Configured jails</caption>
              <thead>
                <tr>
                  <th scope="col">Jail</th>
                  <th scope="col">State</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {items.map((j) => (
                  <tr key={j.name} class={j.name === selected ? 'selected' : ''} data-jail={j.name}>
                    <th scope="row">
                      <a href={buildUrl(location.pathname, { ...route.query, jail: j.name })}>{j.name}</a>
                    </th>
                    <td>
                      <span class={'badge ' + (j.enabled ? (j.running ? 'ok' : 'warn') : 'off')}>{j.enabled ? (j.running ? 'active' : 'not running') : 'inactive'}</span>
                    </td>
                    <td>
                      {j.enabled && !j.running ? (
                        <button
                          type="button"
                          disabled={action.busy}
                          aria-label={`Start ${j.name}`}
                          onClick={() => run(() => api.post(`/jails/${encodeURIComponent(j.name)}/start`), `Jail ${j.name} started.`).then(list.reload)}
                        >
                          Start
                        </button>
                      ) : null}{' '}
                      {j.enabled ? (
                        <ConfirmButton
                          label="Deactivate"
                          class=""
                          ariaLabel={`Deactivate ${j.name}`}
                          question={`Deactivate jail ${j.name}? fail2ban stops it and lifts its bans.`}
                          confirmLabel="Deactivate"
                          disabled={action.busy}
                          onConfirm={() => setEnabled(j.name, false)}
                        />
                      ) : (
                        <button type="button" disabled={action.busy} onClick={() => setEnabled(j.name, true)} aria-label={`Activate ${j.name}`}>
                          Activate
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : !list.error ? (
          <Loading />
        ) : null}
      </section>
      {selected ? <JailEditor key={selected + (host ?? '')} name={selected} onChanged={list.reload} /> : <p class="muted">Select a jail to edit it.</p>}
    </div>
  );
}

type Form = {
  enabled: boolean;
  max_retry: string;
  find_time: string;
  ban_time: string;
  backend: string;
  filter: string;
  port: string;
  protocol: string;
  log_paths: string;
  ignore_ip: string;
};

function toForm(j: JailConfigDetail): Form {
  return {
    enabled: j.enabled,
    max_retry: j.max_retry === null ? '' : String(j.max_retry),
    find_time: j.find_time ?? '',
    ban_time: j.ban_time ?? '',
    backend: j.backend ?? '',
    filter: j.filter?.name ?? '',
    port: j.port ?? '',
    protocol: j.protocol ?? '',
    log_paths: j.log_paths.join('\n'),
    ignore_ip: j.ignore_ip.join('\n'),
  };
}

const JAIL_KINDS = { log_paths: 'lines', ignore_ip: 'lines', max_retry: 'number' } as const;

function JailEditor({ name, onChanged }: { name: string; onChanged: () => void }) {
  const enc = encodeURIComponent(name);
  const detail = useAsync((signal) => api.get<{ jail: JailConfigDetail }>(`/config/jails/${enc}`, { signal }), [name]);
  const [form, setForm] = useState<Form>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  const j = detail.data?.jail;
  useEffect(() => {
    if (j) setForm(toForm(j));
  }, [j]);

  const fail = (e: ApiError) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.fields)) out[fieldForKey(k)] = v;
    setErrors(out);
  };
  const act = async (fn: () => Promise<unknown>, msg: string) => {
    setErrors({});
    const ok = await run(async () => {
      try {
        const res = await fn();
        const body = unwrapResult<{ jail?: JailConfigDetail } | null>(res);
        if (body && body.jail) setForm(toForm(body.jail));
      } catch (e) {
        fail(e as ApiError);
        throw e;
      }
    }, msg);
    if (ok) {
      detail.reload();
      onChanged();
    }
  };

  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!j || !form) return <Loading />;
  const set = (k: keyof Form) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setForm({ ...form, [k]: t.type === 'checkbox' ? t.checked : t.value });
    setErrors(({ [k]: _, ...rest }) => rest);
  };
  const before = toForm(j);
  const changes = changedFields(before, form, JAIL_KINDS);
  const text = (k: keyof Form, label: string, hint?: string) => (
    <Field id={'jail-' + k} label={label} error={errors[k]} hint={hint}>
      <input type="text" value={form[k] as string} onInput={set(k)} {...fieldProps('jail-' + k, errors[k], !!hint)} />
    </Field>
  );
  return (
    <section class="card" aria-labelledby="jail-editor-title">
      <h2 id="jail-editor-title">Edit jail {name}</h2>
      <p class="muted small">
        Origin {j.origin}; defined in {j.defined_in.join(', ')}. Changes are written to <span class="mono">{j.agent_file}</span> and apply on commit.
      </p>
      {j.config_error ? <div class="error">{j.config_error}</div> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act(() => api.put(`/config/jails/${enc}`, changes), `Saved ${Object.keys(changes).join(', ') || 'nothing'}; commit to apply.`);
        }}
        noValidate
      >
        <label class="switch">
          <input type="checkbox" checked={form.enabled} onChange={set('enabled')} /> Enabled
        </label>
        <div class="form-grid">
          <Field id="jail-max_retry" label="Max retry (maxretry)" error={errors.max_retry}>
            <input type="number" min={0} value={form.max_retry} onInput={set('max_retry')} {...fieldProps('jail-max_retry', errors.max_retry)} />
          </Field>
          {text('find_time', 'Find time (findtime)', 'e.g. 600, 10m, 1h')}
          {text('ban_time', 'Ban time (bantime)', 'e.g. 600, 1h, -1 = permanent')}
          {text('backend', 'Backend')}
          {text('filter', 'Filter')}
          {text('port', 'Port')}
          {text('protocol', 'Protocol')}
        </div>
        <Field id="jail-log_paths" label="Log paths (one per line)" error={errors.log_paths}>
          <textarea rows={3} value={form.log_paths} onInput={set('log_paths')} {...(fieldProps('jail-log_paths', errors.log_paths) as object)} />
        </Field>
        <Field id="jail-ignore_ip" label="Ignore IPs (one per line)" error={errors.ignore_ip}>
          <textarea rows={3} value={form.ignore_ip} onInput={set('ignore_ip')} {...(fieldProps('jail-ignore_ip', errors.ignore_ip) as object)} />
        </Field>
        <div class="row">
          <button type="submit" class="primary" disabled={action.busy || Object.keys(changes).length === 0}>
            Save
          </button>
          <button type="button" disabled={action.busy} onClick={() => act(() => api.post(`/config/jails/${enc}/commit`), `Committed: fail2ban reloaded ${name}.`)}>
            Commit
          </button>
          <ConfirmButton
            label="Roll back"
            class=""
            question={`Restore the previous version of ${name}'s configuration?`}
            confirmLabel="Roll back"
            disabled={action.busy || !j.can_rollback}
            onConfirm={() => act(() => api.get(`/config/jails/${enc}/rollback`), `Rolled back ${name}.`)}
          />
        </div>
        <ActionStatus state={action} />
      </form>
      <details>
        <summary>All settings ({j.settings.length})</summary>
        <table class="small">
          <caption class="sr-only">Effective settings of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Set in</th>
            </tr>
          </thead>
          <tbody>
            {j.settings.map((s) => (
              <tr key={s.key} class={errors[fieldForKey(s.key)] ? 'has-error' : ''}>
                <td class="mono">{s.key}</td>
                <td class="mono">{s.value ?? ''}</td>
                <td class="small">{s.source ? `${s.source.file}:${s.source.line} [${s.source.section}]` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
