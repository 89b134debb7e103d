// fail2ban's own log (level filter, substring filter, auto-refresh) and the service status.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { useAsync, usePoll } from '../../lib/hooks';
import { formatDuration, formatNumber } from '../../lib/format';
import { navigate } from '../../lib/router';
import { buildUrl, patchQuery, type Route } from '../../lib/url';
import { ErrorBox, Loading } from '../../components/ui';

interface LogResponse {
  log_target: string;
  lines: { text: string; level: string | null }[];
  truncated: boolean;
}
interface ServiceStatus {
  running: boolean;
  version: string;
  pid: number | null;
  uptime_seconds: number | null;
  socket: string;
  db_file: string | null;
  db_purge_age: number;
  log_target: string;
  log_level: string;
  jails: { total: number; active: number };
  currently_banned: number;
  currently_failed: number;
  agent: { version: string; store: { ok: boolean; quick_check: string; schema_version: number } };
}

const LEVELS = ['', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

export function LogTab({ route }: { route: Route }) {
  const host = route.query.host;
  const level = route.query.level ?? '';
  const filter = route.query.filter ?? '';
  const lines = Number(route.query.lines) || 200;
  const [auto, setAuto] = useState(route.query.auto === '1');
  const go = (patch: Record<string, string | undefined>) => navigate(buildUrl(location.pathname, patchQuery(route.query, patch)), true);
  const log = useAsync(
    (signal) => api.get<LogResponse>('/config/fail2ban-log', { signal, query: { lines, level: level || undefined, filter: filter || undefined } }),
    [host, level, filter, lines],
  );
  const status = useAsync((signal) => api.get<ServiceStatus>('/config/service-status', { signal }), [host]);
  usePoll(() => auto && log.reload(), 5000);
  usePoll(status.reload, 30_000);
  const s = status.data;
  // the newest lines are at the end: keep the view there after each load
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [log.data]);
  return (
    <>
      <section class="card" aria-labelledby="svc-status-title">
        <h2 id="svc-status-title">Service status</h2>
        {status.error ? <ErrorBox error={status.error} /> : null}
        {s ? (
          <dl class="kv">
            <dt>fail2ban</dt>
            <dd>
              <span class={'badge ' + (s.running ? 'ok' : 'off')}>{s.running ? 'running' : 'offline'}</span> {s.version}
              {s.pid ? ` (pid ${s.pid})` : ''}
            </dd>
            <dt>Uptime</dt>
            <dd>{s.uptime_seconds !== null ? formatDuration(s.uptime_seconds) : '–'}</dd>
            <dt>Jails active / total</dt>
            <dd>
              {s.jails.active} / {s.jails.total}
            </dd>
            <dt>Banned / failed now</dt>
            <dd>
              {formatNumber(s.currently_banned)} / {formatNumber(s.currently_failed)}
            </dd>
            <dt>Log</dt>
            <dd class="mono">
              {s.log_level} → {s.log_target}
            </dd>
            <dt>Socket</dt>
            <dd class="mono">{s.socket}</dd>
            <dt>Database</dt>
            <dd class="mono">
              {s.db_file ?? '–'} (purge after {formatDuration(s.db_purge_age)})
            </dd>
            <dt>Agent</dt>
            <dd>
              {s.agent.version}; store {s.agent.store.ok ? 'ok' : s.agent.store.quick_check}
            </dd>
          </dl>
        ) : !status.error ? (
          <Loading />
        ) : null}
      </section>
      <section class="card" aria-labelledby="f2blog-title">
        <h2 id="f2blog-title">fail2ban log</h2>
        <div class="filters wrap">
          <label>
            Level at least{' '}
            <select value={level} onChange={(e) => go({ level: (e.target as HTMLSelectElement).value || undefined })}>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l || 'any'}
                </option>
              ))}
            </select>
          </label>
          <label>
            Lines{' '}
            <select value={String(lines)} onChange={(e) => go({ lines: (e.target as HTMLSelectElement).value })}>
              {[100, 200, 500, 1000].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label>
            Contains <input type="search" value={filter} onChange={(e) => go({ filter: (e.target as HTMLInputElement).value || undefined })} />
          </label>
          <label class="switch">
            <input
              type="checkbox"
              checked={auto}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                setAuto(on);
                go({ auto: on ? '1' : undefined });
              }}
            />{' '}
            Auto-refresh (5 s)
          </label>
          <button type="button" onClick={log.reload}>
            Refresh
          </button>
        </div>
        {log.error ? <ErrorBox error={log.error} /> : null}
        {log.data ? (
          <>
            <p class="muted small">
              {log.data.log_target}
              {log.data.truncated ? ' (older lines not shown)' : ''}
            </p>
            <pre ref={pre} class="log" data-testid="f2b-log" tabIndex={0} aria-label="fail2ban log lines">
              {log.data.lines.map((l, i) => (
                <div key={i} class={'lvl-' + (l.level ?? 'none').toLowerCase()}>
                  {l.text}
                </div>
              ))}
            </pre>
          </>
        ) : !log.error ? (
          <Loading />
        ) : null}
      </section>
    </>
  );
}
