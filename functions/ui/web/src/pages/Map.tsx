// World map page: choropleth of bans per country; a click filters the table below.
import { api } from '../lib/api';
import { useThresholds } from '../lib/useThresholds';
import { useAsync } from '../lib/hooks';
import { flagEmoji } from '../lib/format';
import { paginate } from '../lib/pagination';
import { DEFAULT_STEPS, legend } from '../lib/thresholds';
import { pageOf, type Route } from '../lib/url';
import type { BanItem, ByCountry, Page } from '../lib/types';
import { WorldMap } from '../components/WorldMap';
import { BanTable } from '../components/BanTable';
import { RangeOriginFilters, originOf, rangeOf, useFilterNav } from '../components/Filters';
import { ErrorBox, HostFailures, Loading, Pager } from '../components/ui';

export function MapPage({ route }: { route: Route }) {
  const range = rangeOf(route);
  const origin = originOf(route);
  const host = route.query.host;
  const country = route.query.country?.toUpperCase();
  const page = pageOf(route.query);
  const go = useFilterNav(route);
  const q = { range, origin: origin === 'all' ? undefined : origin };
  const data = useAsync((signal) => api.get<ByCountry>('/dashboard/bans/by-country', { signal, query: q }), [range, origin, host]);
  const thresholds = useThresholds();
  const bans = useAsync(
    (signal) => (country ? api.get<Page<BanItem>>('/dashboard/bans', { signal, query: { ...q, page_size: 500 } }) : Promise.resolve(undefined)),
    [range, origin, host, country],
  );
  const t = thresholds.data?.steps ?? DEFAULT_STEPS;
  const filtered = (bans.data?.items ?? []).filter((b) => b.country_code === country);
  const paged = paginate(filtered, page, 25);

  return (
    <section aria-labelledby="map-title">
      <div class="page-head">
        <h1 id="map-title">World map</h1>
        <RangeOriginFilters route={route} />
      </div>
      {thresholds.data?.fallback ? (
        <p class="notice small" role="status">
          Using the default colour thresholds ({thresholds.data.fallback.detail})
        </p>
      ) : null}
      {data.error ? <ErrorBox error={data.error} /> : null}
      {data.data ? (
        <>
          <HostFailures hosts={data.data.hosts} />
          <p class="muted">
            {data.data.total.toLocaleString('en-US')} bans from {Object.keys(data.data.countries).length} countries
            {data.data.unknown ? `; ${data.data.unknown} without a known country` : ''}.
          </p>
          <WorldMap
            counts={data.data.countries}
            names={data.data.country_names}
            steps={t}
            selected={country}
            onSelect={(c) => go({ country: c })}
          />
          <ul class="legend" aria-label="Colour legend">
            <li>
              <span class="swatch" style={{ background: 'var(--map-empty)' }} aria-hidden="true" /> none
            </li>
            {legend(t).map((l) => (
              <li key={l.label}>
                <span class="swatch" style={{ background: l.color }} aria-hidden="true" /> {l.label}
              </li>
            ))}
          </ul>
        </>
      ) : !data.error ? (
        <Loading />
      ) : null}
      <section class="card" aria-labelledby="map-table-title">
        <h2 id="map-table-title">
          {country ? (
            <>
              Bans from {flagEmoji(country)} {data.data?.country_names[country] ?? country}{' '}
              <button type="button" class="link" onClick={() => go({ country: undefined })}>
                (show all countries)
              </button>
            </>
          ) : (
            'Select a country on the map to list its bans'
          )}
        </h2>
        {country ? (
          bans.error ? (
            <ErrorBox error={bans.error} />
          ) : bans.data ? (
            <>
              {bans.data.pagination.total > bans.data.items.length ? (
                <p class="muted small">Among the latest {bans.data.items.length.toLocaleString('en-US')} of {bans.data.pagination.total.toLocaleString('en-US')} bans in this range.</p>
              ) : null}
              <BanTable items={paged.items} query={route.query} caption={`Bans from ${country}`} showHost={!host} />
              <Pager pagination={paged.pagination} onPage={(p) => go({ page: p > 1 ? p : undefined, country })} />
            </>
          ) : (
            <Loading />
          )
        ) : null}
      </section>
    </section>
  );
}
