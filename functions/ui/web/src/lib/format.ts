// Display formatting: flags, times, durations and trend bucket labels.

/** The flag emoji of an ISO 3166-1 alpha-2 code (regional indicator symbols); '' if not a code. */
export function flagEmoji(code: string | null | undefined): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return '';
  const base = 0x1f1e6;
  const up = code.toUpperCase();
  return String.fromCodePoint(base + up.charCodeAt(0) - 65, base + up.charCodeAt(1) - 65);
}

export function formatNumber(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD HH:MM:SS` in the browser's local time (stable across locales). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A ban time in seconds as `1h 30m`, `permanent` for negative values. */
export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return '–';
  if (secs < 0) return 'permanent';
  if (secs === 0) return '0s';
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.floor(secs);
  for (const [u, n] of units) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A trend bucket's label from its `local_start` (the start in setup's time zone, e.g.
 * `2026-11-28T08:00:00+01:00`) for a bucket size `1h|6h|1d|7d`. Uses the wall-clock digits of
 * `local_start`, so the label is in the server's zone whatever the browser's zone is.
 */
export function formatBucket(localStart: string, bucketSize: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(localStart);
  if (!m) return localStart;
  const [, , mo, d, h, mi] = m;
  const day = `${MONTHS[Number(mo) - 1]} ${Number(d)}`;
  switch (bucketSize) {
    case '1h':
      return `${h}:${mi}`;
    case '6h':
      return `${day} ${h}:${mi}`;
    case '7d':
      return `wk ${day}`;
    default:
      return day;
  }
}

export const RANGES = ['24h', '7d', '30d', '365d'] as const;
export type Range = (typeof RANGES)[number];
export const RANGE_LABELS: Record<Range, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '365d': 'Last 365 days',
};
export const ORIGINS = ['all', 'selfblock', 'blocklist'] as const;
export type OriginFilter = (typeof ORIGINS)[number];

/** `a, b, c and 7 more` — a long list shortened for a sentence; `fallback` when empty. */
export function listSome(items: string[], max = 8, fallback = 'none'): string {
  if (items.length === 0) return fallback;
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
