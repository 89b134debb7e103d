// The ban list shared by the dashboard, the map and the history pages.
import { formatDuration, formatTime } from '../lib/format';
import { buildUrl, carryQuery, type Query } from '../lib/url';
import type { BanItem } from '../lib/types';
import { Country, OriginBadge } from './ui';

export function BanTable({ items, query, caption, showHost }: { items: BanItem[]; query: Query; caption: string; showHost: boolean }) {
  return (
    <div class="table-wrap">
      <table class="bans" data-testid="ban-table">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">IP</th>
            <th scope="col">Country</th>
            <th scope="col">Jail</th>
            <th scope="col">Origin</th>
            <th scope="col" class="num">Bans</th>
            <th scope="col" class="num hide-narrow">Ban time</th>
            {showHost ? <th scope="col">Host</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <tr>
              <td colSpan={showHost ? 8 : 7} class="muted">
                No bans in this range.
              </td>
            </tr>
          ) : (
            items.map((b, i) => (
              <tr key={`${b.host ?? ''}-${b.ip}-${b.jail}-${b.banned_at}-${i}`} data-ip={b.ip}>
                <td>
                  <time dateTime={b.banned_at}>{formatTime(b.banned_at)}</time>
                </td>
                <td>
                  {/* a fleet row names its host: the timeline is asked of that host */}
                  <a href={buildUrl('/history/' + encodeURIComponent(b.ip), { ...carryQuery(query), host: b.host ?? query.host })} class="mono">
                    {b.ip}
                  </a>
                </td>
                <td>
                  <Country code={b.country_code} name={b.country_name} />
                </td>
                <td>{b.jail}</td>
                <td>
                  <OriginBadge origin={b.origin} />
                </td>
                <td class={'num' + (b.ban_count >= 5 ? ' hot' : '')}>{b.ban_count}</td>
                <td class="num hide-narrow">{formatDuration(b.ban_seconds)}</td>
                {showHost ? <td>{b.host ?? ''}</td> : null}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
