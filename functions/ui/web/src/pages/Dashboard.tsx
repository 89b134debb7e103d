// Dashboard: ban table, trend, top countries and bans by jail for a range and origin.
import { api } from '../lib/api';
import { useAsync, usePoll } from '../lib/hooks';
import { flagEmoji } from '../lib/format';
import { navigate } from '../lib/router';
import { buildUrl, carryQuery, pageOf, type Route } from '../lib/url';
import type { BanItem, ByCountry, ByJail, Page, Trend } from '../lib/types';
import { BanTable } from '../components/BanTable';
import { RangeOriginFilters, originOf, rangeOf, useFilterNav } from '../components/Filters';
import { lazyComponent } from '../components/Lazy';
import { BarList, ErrorBox, HostFailures, Loading, Pager } from '../components/ui';

const TrendChart = lazyComponent(() => import('../components/TrendChart').then((m) => m.TrendChart));

export const DASHBOARD_PAGE_SIZE = 25;

export function DashboardPage({ route }: { route: Route }) {
  const range = rangeOf(route);
  const origin = originOf(route);
  const page = pageOf(route.query);
  const host = route.query.host;
  const q = { range, origin: origin === 'all' ? undefined : origin };
  const go = useFilterNav(route);

  const bans = useAsync(
    (signal) => api.get<Page<BanItem>>('/dashboard/bans', { signal, query: { ...q, page, page_size: DASHBOARD_PAGE_SIZE } }),
    [range, origin, page, host],
  );
  // The ban table is what makes the page usable: the charts ask only once it has answered, so
  // they never queue in front of it (browsers open few connections per origin).
  const tableDone = bans.data !== undefined || bans.error !== undefined;
  const after = <T,>(load: () => Promise<T>): Promise<T> => (tableDone ? load() : new Promise<T>(() => {}));
  const trend = useAsync((signal) => after(() => api.get<Trend>('/dashboard/bans/trend', { signal, query: q })), [range, origin, host, tableDone]);
  const countries = useAsync((signal) => after(() => api.get<ByCountry>('/dashboard/bans/by-country', { signal, query: q })), [range, origin, host, tableDone]);
  const jails = useAsync((signal) => after(() => api.get<ByJail>('/dashboard/bans/by-jail', { signal, query: q })), [range, origin, host, tableDone]);
  usePoll(() => {
    bans.reload();
    trend.reload();
    countries.reload();
    jails.reload();
  }, 30_000);

  return (
    <section aria-labelledby="dash-title">
      <div class="page-head">
        <h1 id="dash-title">Dashboard</h1>
        <RangeOriginFilters route={route} />
      </div>
      <div class="grid">
        <section class="card wide" aria-labelledby="trend-title">
          <h2 id="trend-title">Ban trend</h2>
          {trend.error ? <ErrorBox error={trend.error} /> : trend.data ? <TrendChart trend={trend.data} /> : <Loading />}
        </section>
        <section class="card" aria-labelledby="countries-title">
          <h2 id="countries-title">Top countries</h2>
          {countries.error ? (
            <ErrorBox error={countries.error} />
          ) : countries.data ? (
            <>
              <BarList
                label="Bans by country"
                items={countries.data.items
                  .filter((c) => c.country_code)
                  .slice(0, 8)
                  .map((c) => ({
                    key: c.country_code!,
                    label: `${flagEmoji(c.country_code)} ${c.country_name ?? c.country_code}`,
                    count: c.count,
                    onClick: () => navigate(buildUrl('/map', { ...carryQuery(route.query), range: route.query.range, country: c.country_code! })),
                  }))}
              />
              {countries.data.unknown > 0 ? <p class="muted small">{countries.data.unknown} ban{countries.data.unknown === 1 ? "" : "s"} from addresses without a known country.</p> : null}
            </>
          ) : (
            <Loading />
          )}
        </section>
        <section class="card" aria-labelledby="jails-title">
          <h2 id="jails-title">Bans by jail</h2>
          {jails.error ? (
            <ErrorBox error={jails.error} />
          ) : jails.data ? (
            <BarList
              label="Bans by jail"
              items={jails.data.jails.map((j) => ({
                key: j.jail,
                label: j.jail,
                count: j.count,
                onClick: () => navigate(buildUrl('/history', { ...carryQuery(route.query), jail: j.jail, range })),
              }))}
            />
          ) : (
            <Loading />
          )}
        </section>
        <section class="card wide" aria-labelledby="bans-title">
          <h2 id="bans-title">Bans</h2>
          {bans.data ? <HostFailures hosts={bans.data.hosts} /> : null}
          {bans.error ? <ErrorBox error={bans.error} /> : null}
          {bans.data ? (
            <>
              <BanTable items={bans.data.items} query={route.query} caption="Bans in the selected range" showHost={!host && !!bans.data.hosts} />
              <Pager pagination={bans.data.pagination} onPage={(p) => go({ page: p > 1 ? p : undefined })} label="Ban table pages" />
            </>
          ) : !bans.error ? (
            <Loading />
          ) : null}
        </section>
      </div>
    </section>
  );
}
