// URL state: which page is shown and its filters live in the address bar, so every view is
// bookmarkable. Pure functions only (unit-tested); the router hook wraps them.

export type Query = Record<string, string>;

export interface Route {
  /** Page id, e.g. `dashboard`, `jail`, `ip`. */
  page: string;
  /** Path parameters (`name` of a jail, `ip` of a history entry, `tab` of config). */
  params: Record<string, string>;
  query: Query;
}

const PATTERNS: [string, RegExp, string[]][] = [
  ['dashboard', /^\/$/, []],
  ['setup', /^\/setup\/?$/, []],
  ['login', /^\/login\/?$/, []],
  ['map', /^\/map\/?$/, []],
  ['jails', /^\/jails\/?$/, []],
  ['jail', /^\/jails\/([^/]+)\/?$/, ['name']],
  ['history', /^\/history\/?$/, []],
  ['ip', /^\/history\/([^/]+)\/?$/, ['ip']],
  ['config', /^\/config\/?$/, []],
  ['config', /^\/config\/([a-z-]+)\/?$/, ['tab']],
  ['blocklists', /^\/blocklists\/?$/, []],
  ['hosts', /^\/hosts\/?$/, []],
];

export function parseQuery(search: string): Query {
  const q: Query = {};
  new URLSearchParams(search).forEach((v, k) => {
    if (v !== '') q[k] = v;
  });
  return q;
}

export function parseRoute(pathname: string, search: string): Route {
  const query = parseQuery(search);
  for (const [page, re, names] of PATTERNS) {
    const m = re.exec(pathname);
    if (m) {
      const params: Record<string, string> = {};
      names.forEach((n, i) => {
        params[n] = safeDecode(m[i + 1]);
      });
      return { page, params, query };
    }
  }
  return { page: 'notfound', params: {}, query };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

type QueryValue = string | number | boolean | null | undefined;

/** `path?query` with empty values dropped and keys sorted, so equal states give equal URLs. */
export function buildUrl(path: string, query: Record<string, QueryValue> = {}): string {
  const keys = Object.keys(query)
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .sort();
  if (keys.length === 0) return path;
  const qs = new URLSearchParams();
  for (const k of keys) qs.set(k, String(query[k]));
  return `${path}?${qs.toString()}`;
}

/**
 * Applies a filter change: merges `patch` into `current` and resets `page` unless the patch
 * sets it (a new filter starts on page 1). `host` is kept unless the patch names it.
 */
export function patchQuery(current: Query, patch: Record<string, QueryValue>): Record<string, QueryValue> {
  const next: Record<string, QueryValue> = { ...current, ...patch };
  if (!('page' in patch)) delete next.page;
  return next;
}

/** The query that follows the user across pages: only the host scope. */
export function carryQuery(current: Query): Query {
  return current.host ? { host: current.host } : {};
}

/** A `next` target after login: only same-origin absolute paths (no `//evil`, no scheme). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/setup')) return '/';
  return next;
}

/** Reads a positive page number from the query (1 when absent or bad). */
export function pageOf(q: Query, key = 'page'): number {
  const n = Number(q[key]);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return (allowed as readonly string[]).includes(value ?? '') ? (value as T) : fallback;
}
