// The persistent status bar: fail2ban per host, active jails, bans and failures; refreshed
// every 30 s and when the window regains focus.
import { api, sharedGet } from '../lib/api';
import { formatNumber } from '../lib/format';
import { useAsync, usePoll } from '../lib/hooks';
import type { Fleet, HostEntry, ServerStatus } from '../lib/types';

export function StatusBar({ host }: { host?: string }) {
  const status = useAsync((signal) => api.get<{ status: ServerStatus } & Fleet>('/dashboard/status', { signal }), [host]);
  const hosts = useAsync(
    () => sharedGet<{ items: HostEntry[] }>('/hosts').catch(() => ({ items: [] as HostEntry[] })),
    [],
  );
  usePoll(() => {
    status.reload();
    hosts.reload();
  }, 30_000);
  const s = status.data?.status;
  const shown = (hosts.data?.items ?? []).filter((h) => !host || h.name === host);
  return (
    <section class="statusbar" aria-label="Server status" aria-live="polite">
      {shown.length > 0 ? (
        shown.map((h) => (
          <span key={h.name} class="status-host" data-host={h.name}>
            <span class={'dot ' + (h.fail2ban === 'online' ? 'online' : 'offline')} aria-hidden="true" />
            {h.name}: fail2ban {h.fail2ban === 'online' ? 'online' : 'offline'}
            {h.fail2ban_version ? ` ${h.fail2ban_version}` : ''}
          </span>
        ))
      ) : s ? (
        <span class="status-host">
          <span class={'dot ' + (s.online ? 'online' : 'offline')} aria-hidden="true" />
          fail2ban {s.online ? 'online' : 'offline'} {s.version ?? ''}
        </span>
      ) : null}
      {s ? (
        <>
          <span>
            Active jails <strong data-testid="status-jails">{formatNumber(s.active_jails)}</strong>
          </span>
          <span>
            Current bans <strong data-testid="status-bans">{formatNumber(s.currently_banned)}</strong>
          </span>
          <span>
            Failures <strong>{formatNumber(s.currently_failed)}</strong>
          </span>
        </>
      ) : status.error ? (
        <span class="status-error">Status unavailable: {status.error.detail}</span>
      ) : (
        <span class="muted">Loading status…</span>
      )}
    </section>
  );
}
