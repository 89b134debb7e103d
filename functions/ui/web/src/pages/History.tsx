// History: archived bans with filters, and one address's timeline with matched lines.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatDuration, formatNumber, formatTime, RANGES } from '../lib/format';
import { buildUrl, carryQuery, oneOf, pageOf, type Route } from '../lib/url';
import type { BanItem, IpDetail, Page } from '../lib/types';
import { BanTable } from '../components/BanTable';
import { originOf, useFilterNav } from '../components/Filters';
import { Country, ErrorBox, HostFailures, Loading, OriginBadge, Pager } from '../components/ui';

const HISTORY_RANGES = ['all', ...RANGES] as const;

export function HistoryPage({ route }: { route: Route }) {
  const go = useFilterNav(route);
  const range = oneOf(route.query.range, HISTORY_RANGES, 'all');
  const origin = originOf(route);
  const source = oneOf(route.query.source, ['archive', 'fail2ban'] as const, 'archive');
  const jail = route.query.jail ?? '';
  const ip = route.query.ip ?? '';
  const page = pageOf(route.query);
  const host = route.query.host;
  const [ipDraft, setIpDraft] = useState(ip);
  const [jailDraft, setJailDraft] = useState(jail);
  const list = useAsync(
    (signal) =>
      api.get<Page<BanItem>>('/history', {
        signal,
        query: {
          range: range === 'all' ? undefined : range,
          origin: origin === 'all' ? undefined : origin,
          source: source === 'archive' ? undefined : source,
          jail: jail || undefined,
          ip: ip || undefined,
          page,
          page_size: 50,
        },
      }),
    [range, origin, source, jail, ip, page, host],
  );
  const submit = (e: Event) => {
    e.preventDefault();
    go({ ip: ipDraft.trim() || undefined, jail: jailDraft.trim() || undefined });
  };
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form class="filters wrap" onSubmit={submit}>
        <label>
          Range{' '}
          <select value={range} onChange={(e) => go({ range: (e.target as HTMLSelectElement).value === 'all' ? undefined : (e.target as HTMLSelectElement).value })}>
            {HISTORY_RANGES.map((r) => (
              <option key={r} value={r}>
                {r === 'all' ? 'All time' : r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Origin{' '}
          <select value={origin} onChange={(e) => go({ origin: (e.target as HTMLSelectElement).value === 'all' ? undefined : (e.target as HTMLSelectElement).value })}>
            <option value="all">All</option>
            <option value="selfblock">Self-block</option>
            <option value="blocklist">Blocklist</option>
          </select>
        </label>
        <label>
          Source{' '}
          <select value={source} onChange={(e) => go({ source: (e.target as HTMLSelectElement).value === 'archive' ? undefined : (e.target as HTMLSelectElement).value })}>
            <option value="archive">Archive</option>
            <option value="fail2ban">fail2ban database</option>
          </select>
        </label>
        <label>
          Jail <input type="text" size={10} value={jailDraft} onInput={(e) => setJailDraft((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          IP prefix <input type="text" size={14} placeholder="192.0.2." value={ipDraft} onInput={(e) => setIpDraft((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Apply</button>
      </form>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {list.data ? (
        <>
          <HostFailures hosts={list.data.hosts} />
          <BanTable items={list.data.items} query={route.query} caption="Ban history" showHost={!host && !!list.data.hosts} />
          <Pager pagination={list.data.pagination} onPage={(p) => go({ page: p > 1 ? p : undefined })} label="History pages" />
        </>
      ) : !list.error ? (
        <Loading />
      ) : null}
    </section>
  );
}

export function IpPage({ route }: { route: Route }) {
  const ip = route.params.ip;
  const host = route.query.host;
  const d = useAsync((signal) => api.get<IpDetail>('/history/' + encodeURIComponent(ip), { signal }), [ip, host]);
  return (
    <section aria-labelledby="ip-title">
      <p>
        <a href={buildUrl('/history', carryQuery(route.query))}>‹ History</a>
      </p>
      <h1 id="ip-title" class="mono">
        {ip}
      </h1>
      {d.error ? <ErrorBox error={d.error} /> : null}
      {d.data ? (
        <>
          <dl class="kv card">
            <dt>Country</dt>
            <dd>
              <Country code={d.data.geo.country_code ?? null} name={d.data.geo.country_name ?? null} />
            </dd>
            <dt>Network</dt>
            <dd>{[d.data.geo.asn, d.data.geo.org].filter(Boolean).join(' ') || '–'}</dd>
            <dt>Bans / failures</dt>
            <dd>
              {formatNumber(d.data.total_bans)} / {formatNumber(d.data.total_failures)}
            </dd>
            <dt>First / last seen</dt>
            <dd>
              {formatTime(d.data.first_seen)} / {formatTime(d.data.last_seen)}
            </dd>
            <dt>Jails</dt>
            <dd>{d.data.jails.join(', ')}</dd>
          </dl>
          <h2>Timeline</h2>
          <ol class="timeline">
            {d.data.events.map((e, i) => (
              <li key={i}>
                <div>
                  <time dateTime={e.banned_at}>{formatTime(e.banned_at)}</time> — banned in <strong>{e.jail}</strong> for {formatDuration(e.ban_seconds)} (ban #{e.ban_count},{' '}
                  {e.failures} failures) <OriginBadge origin={e.origin} />
                </div>
                {e.matches.length ? (
                  <pre class="matches" aria-label="Matched log lines">
                    {e.matches.join('\n')}
                  </pre>
                ) : null}
              </li>
            ))}
          </ol>
        </>
      ) : !d.error ? (
        <Loading />
      ) : null}
    </section>
  );
}
