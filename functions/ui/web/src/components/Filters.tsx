// Range and origin filters written to the URL.
import { navigate } from '../lib/router';
import { buildUrl, oneOf, patchQuery, type Route } from '../lib/url';
import { ORIGINS, RANGES, RANGE_LABELS, type OriginFilter, type Range } from '../lib/format';
import { Segmented } from './ui';

export function useFilterNav(route: Route) {
  return (patch: Record<string, string | number | undefined>) => navigate(buildUrl(location.pathname, patchQuery(route.query, patch)));
}

export function rangeOf(route: Route, fallback: Range = '24h'): Range {
  return oneOf(route.query.range, RANGES, fallback);
}
export function originOf(route: Route): OriginFilter {
  return oneOf(route.query.origin, ORIGINS, 'all');
}

export function RangeOriginFilters({ route, defaultRange = '24h' }: { route: Route; defaultRange?: Range }) {
  const go = useFilterNav(route);
  const range = rangeOf(route, defaultRange);
  const origin = originOf(route);
  return (
    <div class="filters">
      <Segmented
        label="Time range"
        value={range}
        options={RANGES}
        onChange={(r) => go({ range: r === defaultRange ? undefined : r })}
        labels={{ '24h': '24h', '7d': '7d', '30d': '30d', '365d': '365d' }}
      />
      <span class="sr-only">{RANGE_LABELS[range]}</span>
      <Segmented
        label="Origin"
        value={origin}
        options={ORIGINS}
        onChange={(o) => go({ origin: o === 'all' ? undefined : o })}
        labels={{ all: 'All', selfblock: 'Self-block', blocklist: 'Blocklist' }}
      />
    </div>
  );
}
