// The fleet: every agent the edge knows, its reachability and fail2ban state.
import { sharedGet } from '../lib/api';
import { useAsync, usePoll } from '../lib/hooks';
import { formatTime } from '../lib/format';
import { buildUrl, type Route } from '../lib/url';
import type { HostEntry } from '../lib/types';
import { ErrorBox, Loading } from '../components/ui';

export function HostsPage({ route }: { route: Route }) {
  const hosts = useAsync(() => sharedGet<{ items: HostEntry[] }>('/hosts'), []);
  usePoll(hosts.reload, 30_000);
  return (
    <section aria-labelledby="hosts-title">
      <h1 id="hosts-title">Hosts</h1>
      <p class="muted">Pick a host to scope every page to it, or "All hosts" for the merged fleet views.</p>
      {hosts.error?.status === 404 ? (
        <p class="notice">This server is a single agent (agent-only mode): every page shows this host. Serve the edge for a fleet.</p>
      ) : hosts.error ? (
        <ErrorBox error={hosts.error} />
      ) : null}
      {hosts.data ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Hosts</caption>
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Role</th>
                <th scope="col">Reachable</th>
                <th scope="col">fail2ban</th>
                <th scope="col" class="hide-narrow">URL</th>
                <th scope="col" class="hide-narrow">Certificate expires</th>
              </tr>
            </thead>
            <tbody>
              {hosts.data.items.map((h) => (
                <tr key={h.name} class={route.query.host === h.name ? 'selected' : ''}>
                  <th scope="row">
                    <a href={buildUrl('/', { host: h.name })}>{h.name}</a>
                  </th>
                  <td>{h.role}</td>
                  <td>
                    <span class={'badge ' + (h.reachable ? 'ok' : 'off')}>{h.reachable ? 'yes' : 'no'}</span>
                    {h.error ? <div class="small muted">{h.error.detail}</div> : null}
                  </td>
                  <td>
                    {h.fail2ban ?? '–'} {h.fail2ban_version ?? ''}
                  </td>
                  <td class="mono hide-narrow">{h.url}</td>
                  <td class="hide-narrow">{h.certificate_expires_at ? formatTime(h.certificate_expires_at) : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !hosts.error ? (
        <Loading />
      ) : null}
    </section>
  );
}
