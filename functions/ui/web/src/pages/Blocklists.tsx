// Blocklists (lazy chunk): sources with an enable toggle, preview, import now with progress,
// the schedule and the import log.
import { useEffect, useState } from 'preact/hooks';
import { api, withFieldErrors } from '../lib/api';
import { useAction, useAsync } from '../lib/hooks';
import { formatTime } from '../lib/format';
import { navigate } from '../lib/router';
import { buildUrl, pageOf, patchQuery, type Route } from '../lib/url';
import type { Page } from '../lib/types';
import { ActionStatus, ConfirmButton, ErrorBox, Field, fieldProps, Loading, Pager } from '../components/ui';

interface Source {
  id: number;
  name: string;
  url: string;
  enabled: boolean;
  format: string;
  jail: string;
  max_entries: number;
  unban_removed: boolean;
  updated_at: string;
}
interface Preview {
  source_id: number;
  entries: string[];
  valid_count: number;
  invalid_count: number;
  ignored_count: number;
  invalid_samples: { line: number; text: string; reason: string }[];
}
interface ImportResult {
  results: { source_name: string; status: string; banned: number; already_banned: number; unbanned: number; ips_imported: number; ips_skipped: number; errors: string[] }[];
  total_banned: number;
  total_unbanned: number;
  errors: number;
}
interface Schedule {
  config: { enabled: boolean; frequency: 'hourly' | 'daily' | 'weekly'; hour: number; minute: number; day_of_week: number };
  timezone: string;
  next_run_at: string | null;
  last_run_at: string | null;
}
interface LogEntry {
  id: number;
  source_name: string;
  timestamp: string;
  duration_ms: number;
  status: string;
  valid: number;
  invalid: number;
  banned: number;
  unbanned: number;
  ips_imported: number;
  ips_skipped: number;
  errors: string[];
}

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function BlocklistsPage({ route }: { route: Route }) {
  const host = route.query.host;
  const sources = useAsync((signal) => api.get<{ items: Source[] }>('/blocklists', { signal }), [host]);
  const logPage = pageOf(route.query, 'log_page');
  const log = useAsync((signal) => api.get<Page<LogEntry>>('/blocklists/log', { signal, query: { page: logPage, page_size: 20 } }), [host, logPage]);
  const [action, run] = useAction();
  const [preview, setPreview] = useState<{ name: string; data: Preview }>();
  const [imported, setImported] = useState<ImportResult>();

  const refresh = () => {
    sources.reload();
    log.reload();
  };
  const importNow = (source_id?: number) =>
    run(async () => {
      setImported(undefined);
      setImported(await api.post<ImportResult>('/blocklists/import', source_id ? { source_id } : {}, { host: host ?? null }));
    }, 'Import finished.').then(refresh);

  return (
    <section aria-labelledby="bl-title">
      <div class="page-head">
        <h1 id="bl-title">Blocklists</h1>
        <button type="button" class="primary" disabled={action.busy || !sources.data?.items.some((s) => s.enabled)} onClick={() => importNow()}>
          {action.busy && action.message === 'Working…' ? 'Importing…' : 'Import now'}
        </button>
      </div>
      <ActionStatus state={action} />
      {imported ? (
        <div class="card" data-testid="import-result" role="status">
          <strong>
            Banned {imported.total_banned}, unbanned {imported.total_unbanned}, errors {imported.errors}.
          </strong>
          <ul>
            {imported.results.map((r, i) => (
              <li key={i}>
                {r.source_name}: {r.status} — {r.banned} banned, {r.already_banned} already banned, {r.unbanned} unbanned, {r.ips_skipped} skipped
                {r.errors.length ? `; ${r.errors.join('; ')}` : ''}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <section class="card" aria-labelledby="bl-sources-title">
        <h2 id="bl-sources-title">Sources</h2>
        {sources.error ? <ErrorBox error={sources.error} /> : null}
        {sources.data ? (
          <div class="table-wrap">
            <table data-testid="bl-sources">
              <caption class="sr-only">Blocklist sources</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="hide-narrow">URL</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {sources.data.items.length === 0 ? (
                  <tr>
                    <td colSpan={4} class="muted">
                      No source yet.
                    </td>
                  </tr>
                ) : (
                  sources.data.items.map((s) => (
                    <tr key={s.id} data-source={s.name}>
                      <th scope="row">{s.name}</th>
                      <td class="mono small hide-narrow">{s.url}</td>
                      <td>
                        <label class="switch">
                          <input
                            type="checkbox"
                            checked={s.enabled}
                            disabled={action.busy}
                            onChange={(e) => {
                              const enabled = (e.target as HTMLInputElement).checked;
                              run(() => api.put(`/blocklists/${s.id}`, { enabled }), `${s.name} ${enabled ? 'enabled' : 'disabled'}.`).then(sources.reload);
                            }}
                          />
                          <span class="sr-only">Enable {s.name}</span>
                        </label>
                      </td>
                      <td class="actions">
                        <button
                          type="button"
                          disabled={action.busy}
                          onClick={() => run(async () => setPreview({ name: s.name, data: await api.get<Preview>(`/blocklists/${s.id}/preview`) }), `Preview of ${s.name} loaded.`)}
                        >
                          Preview
                        </button>
                        <button type="button" disabled={action.busy} onClick={() => importNow(s.id)}>
                          Import
                        </button>
                        <ConfirmButton label="Delete" question={`Delete the source ${s.name}?`} confirmLabel="Delete" disabled={action.busy} onConfirm={() => run(() => api.del(`/blocklists/${s.id}`), `${s.name} deleted.`).then(sources.reload)} />
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        ) : !sources.error ? (
          <Loading />
        ) : null}
        {preview ? (
          <div class="preview" data-testid="bl-preview">
            <h3>Preview of {preview.name}</h3>
            <p>
              {preview.data.valid_count} valid, {preview.data.invalid_count} invalid, {preview.data.ignored_count} ignored.
            </p>
            <pre class="log small">{preview.data.entries.slice(0, 50).join('\n')}</pre>
          </div>
        ) : null}
        {!sources.error ? <NewSource onCreated={sources.reload} /> : null}
      </section>
      {!sources.error ? <ScheduleCard host={host} /> : null}
      <section class="card" aria-labelledby="bl-log-title">
        <h2 id="bl-log-title">Import log</h2>
        {log.error ? <ErrorBox error={log.error} /> : null}
        {log.data ? (
          <>
            <div class="table-wrap">
              <table data-testid="bl-log">
                <caption class="sr-only">Import runs</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Source</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Imported</th>
                    <th scope="col" class="num hide-narrow">Skipped</th>
                    <th scope="col" class="hide-narrow">Errors</th>
                  </tr>
                </thead>
                <tbody>
                  {log.data.items.map((e) => (
                    <tr key={e.id}>
                      <td>{formatTime(e.timestamp)}</td>
                      <td>{e.source_name}</td>
                      <td>
                        <span class={'badge ' + (e.status === 'completed' ? 'ok' : e.status === 'failed' ? 'off' : 'warn')}>{e.status}</span>
                      </td>
                      <td class="num">{e.ips_imported}</td>
                      <td class="num hide-narrow">{e.ips_skipped}</td>
                      <td class="small hide-narrow">{e.errors.join('; ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager pagination={log.data.pagination} onPage={(p) => navigate(buildUrl(location.pathname, patchQuery(route.query, { log_page: p > 1 ? p : undefined })))} label="Import log pages" />
          </>
        ) : !log.error ? (
          <Loading />
        ) : null}
      </section>
    </section>
  );
}

function NewSource({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  let urlProblem: string | null = null;
  if (url.trim()) {
    try {
      const u = new URL(url.trim());
      if (u.protocol !== 'http:' && u.protocol !== 'https:') urlProblem = 'Only http and https URLs.';
    } catch {
      urlProblem = 'Not a URL.';
    }
  }
  const submit = (e: Event) => {
    e.preventDefault();
    setErrors({});
    run(
      () =>
        withFieldErrors(api.post('/blocklists', { name: name.trim(), url: url.trim() }), setErrors),
      `Source ${name} added.`,
    ).then((ok) => {
      if (ok) {
        setName('');
        setUrl('');
        onCreated();
      }
    });
  };
  return (
    <form class="inline-form" onSubmit={submit} noValidate aria-label="Add a source">
      <Field id="bl-name" label="Name" error={errors.name}>
        <input type="text" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...fieldProps('bl-name', errors.name)} />
      </Field>
      <Field id="bl-url" label="URL" error={errors.url ?? urlProblem}>
        <input type="url" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} {...fieldProps('bl-url', errors.url ?? urlProblem)} />
      </Field>
      <button type="submit" disabled={action.busy || !name.trim() || !url.trim() || !!urlProblem}>
        Add source
      </button>
      <ActionStatus state={action} />
    </form>
  );
}

function ScheduleCard({ host }: { host?: string }) {
  const data = useAsync((signal) => api.get<Schedule>('/blocklists/schedule', { signal }), [host]);
  const [cfg, setCfg] = useState<Schedule['config']>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [action, run] = useAction();
  useEffect(() => {
    if (data.data) setCfg({ ...data.data.config });
  }, [data.data]);
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data || !cfg) return <Loading />;
  const set = (patch: Partial<Schedule['config']>) => setCfg({ ...cfg, ...patch });
  return (
    <section class="card" aria-labelledby="bl-sched-title">
      <h2 id="bl-sched-title">Schedule</h2>
      <form
        class="filters wrap"
        onSubmit={(e) => {
          e.preventDefault();
          setErrors({});
          run(
            () =>
              withFieldErrors(api.put('/blocklists/schedule', cfg), setErrors),
            'Schedule saved.',
          ).then((ok) => ok && data.reload());
        }}
      >
        <label class="switch">
          <input type="checkbox" checked={cfg.enabled} onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} /> Import automatically
        </label>
        <label>
          Every{' '}
          <select value={cfg.frequency} onChange={(e) => set({ frequency: (e.target as HTMLSelectElement).value as Schedule['config']['frequency'] })}>
            <option value="hourly">hour</option>
            <option value="daily">day</option>
            <option value="weekly">week</option>
          </select>
        </label>
        {cfg.frequency === 'weekly' ? (
          <label>
            on{' '}
            <select value={String(cfg.day_of_week)} onChange={(e) => set({ day_of_week: Number((e.target as HTMLSelectElement).value) })}>
              {DAYS.map((d, i) => (
                <option key={d} value={i}>
                  {d}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {cfg.frequency !== 'hourly' ? (
          <label>
            at hour <input type="number" min={0} max={23} value={cfg.hour} aria-invalid={errors.hour ? true : undefined} onInput={(e) => set({ hour: Number((e.target as HTMLInputElement).value) })} />
          </label>
        ) : null}
        <label>
          minute <input type="number" min={0} max={59} value={cfg.minute} aria-invalid={errors.minute ? true : undefined} onInput={(e) => set({ minute: Number((e.target as HTMLInputElement).value) })} />
        </label>
        <button type="submit" disabled={action.busy}>
          Save schedule
        </button>
      </form>
      {Object.values(errors).map((e) => (
        <p class="field-error" key={e}>
          {e}
        </p>
      ))}
      <p class="muted small">
        Time zone {data.data.timezone}. Next run {data.data.next_run_at ? formatTime(data.data.next_run_at) : '–'}; last run {data.data.last_run_at ? formatTime(data.data.last_run_at) : '–'}.
      </p>
      <ActionStatus state={action} />
    </section>
  );
}
