// Jails: every jail (per host in the fleet view) with counters and start/stop/idle/reload.
import { api } from '../lib/api';
import { useAction, useAsync, usePoll } from '../lib/hooks';
import { formatDuration, formatNumber } from '../lib/format';
import { buildUrl, carryQuery, type Route } from '../lib/url';
import type { JailSummary, Page } from '../lib/types';
import { ActionStatus, ConfirmButton, ErrorBox, HostFailures, Loading } from '../components/ui';

export function JailsPage({ route }: { route: Route }) {
  const host = route.query.host;
  const jails = useAsync((signal) => api.get<Page<JailSummary>>('/jails', { signal, query: { page_size: 500 } }), [host]);
  const [action, run] = useAction();
  usePoll(jails.reload, 30_000);

  const control = (j: JailSummary, op: 'start' | 'stop' | 'idle' | 'reload') => {
    const body = op === 'idle' ? { on: !j.idle } : undefined;
    const verb = { start: 'started', stop: 'stopped', idle: j.idle ? 'left idle mode' : 'set idle', reload: 'reloaded' }[op];
    run(() => api.post(`/jails/${encodeURIComponent(j.name)}/${op}`, body, { host: j.host ?? host ?? null }), `Jail ${j.name}${j.host ? ' on ' + j.host : ''} ${verb}.`).then(jails.reload);
  };

  return (
    <section aria-labelledby="jails-title">
      <div class="page-head">
        <h1 id="jails-title">Jails</h1>
        <div class="row">
          <button type="button" disabled={action.busy} onClick={() => run(() => api.post('/jails/reload-all'), 'All jails reloaded.').then(jails.reload)}>
            Reload all
          </button>
          <ConfirmButton
            label="Unban all"
            question={`Remove every ban from every jail${host ? ' on ' + host : ' on all hosts'}?`}
            confirmLabel="Unban all"
            disabled={action.busy}
            onConfirm={() => run(() => api.del('/bans/all'), 'All bans cleared.').then(jails.reload)}
          />
        </div>
      </div>
      <ActionStatus state={action} />
      {jails.error ? <ErrorBox error={jails.error} /> : null}
      {jails.data ? <HostFailures hosts={jails.data.hosts} /> : null}
      {jails.data ? (
        <div class="table-wrap">
          <table data-testid="jails-table">
            <caption class="sr-only">Jails</caption>
            <thead>
              <tr>
                <th scope="col">Jail</th>
                {!host ? <th scope="col">Host</th> : null}
                <th scope="col">State</th>
                <th scope="col" class="num">Failed now</th>
                <th scope="col" class="num">Banned now</th>
                <th scope="col" class="num hide-narrow">Total banned</th>
                <th scope="col" class="num hide-narrow">Max retry</th>
                <th scope="col" class="hide-narrow">Ban time</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {jails.data.items.map((j) => (
                <tr key={j.name + (j.host ?? '')} data-jail={j.name} data-host={j.host}>
                  <th scope="row">
                    <a href={buildUrl('/jails/' + encodeURIComponent(j.name), { ...carryQuery(route.query), host: j.host ?? host })}>{j.name}</a>
                  </th>
                  {!host ? <td>{j.host ?? ''}</td> : null}
                  <td>
                    <span class={'badge ' + (j.running ? (j.idle ? 'warn' : 'ok') : 'off')}>{j.running ? (j.idle ? 'idle' : 'running') : 'stopped'}</span>
                  </td>
                  <td class="num">{formatNumber(j.currently_failed)}</td>
                  <td class="num">{formatNumber(j.currently_banned)}</td>
                  <td class="num hide-narrow">{formatNumber(j.total_banned)}</td>
                  <td class="num hide-narrow">{j.max_retry}</td>
                  <td class="hide-narrow">{formatDuration(j.ban_time)}</td>
                  <td class="actions">
                    {j.running ? (
                      <ConfirmButton
                        label="Stop"
                        class=""
                        ariaLabel={`Stop ${j.name}`}
                        question={`Stop jail ${j.name}${j.host ? ' on ' + j.host : ''}? Its bans are lifted until it starts again.`}
                        confirmLabel="Stop jail"
                        disabled={action.busy}
                        onConfirm={() => control(j, 'stop')}
                      />
                    ) : (
                      <button type="button" disabled={action.busy} onClick={() => control(j, 'start')} aria-label={`Start ${j.name}`}>
                        Start
                      </button>
                    )}
                    <button type="button" disabled={action.busy || !j.running} onClick={() => control(j, 'idle')} aria-label={`Toggle idle for ${j.name}`}>
                      {j.idle ? 'Resume' : 'Idle'}
                    </button>
                    <button type="button" disabled={action.busy || !j.running} onClick={() => control(j, 'reload')} aria-label={`Reload ${j.name}`}>
                      Reload
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !jails.error ? (
        <Loading />
      ) : null}
      <p class="muted small">Stopped jails that exist only in the configuration are listed under Configuration › Jails.</p>
    </section>
  );
}
