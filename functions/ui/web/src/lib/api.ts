// The API client: same-origin cookie session, the CSRF header on every write, and one error
// type built from the API's flat error body.

export interface ErrorBody {
  code?: string;
  detail?: string;
  metadata?: Record<string, unknown>;
  correlation_id?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly metadata: Record<string, unknown>;
  readonly correlationId?: string;

  constructor(status: number, body: ErrorBody) {
    const detail = body.detail || defaultDetail(status);
    super(detail);
    this.status = status;
    this.code = body.code || 'http_' + status;
    this.detail = detail;
    this.metadata = body.metadata && typeof body.metadata === 'object' ? body.metadata : {};
    this.correlationId = body.correlation_id;
  }

  /** The field the server blamed (`metadata.field`, else `metadata.key`). */
  get field(): string | undefined {
    const f = this.metadata.field ?? this.metadata.key;
    return typeof f === 'string' ? f : undefined;
  }

  /** Every field problem: `metadata.fields`, else the single field with the detail. */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    const fs = this.metadata.fields;
    if (fs && typeof fs === 'object' && !Array.isArray(fs)) {
      for (const [k, v] of Object.entries(fs as Record<string, unknown>)) out[k] = String(v);
    }
    const f = this.field;
    if (f && !(f in out)) out[f] = this.detail;
    return out;
  }

  get notImplemented(): boolean {
    return this.status === 501 || this.code === 'not_implemented';
  }
}

/** `write`, handing a refused write's field errors to `show` before it rejects as it would. */
export function withFieldErrors<T>(write: Promise<T>, show: (fields: Record<string, string>) => void): Promise<T> {
  return write.catch((err: ApiError) => {
    show(err.fields);
    throw err;
  });
}

function defaultDetail(status: number): string {
  if (status === 0) return 'The server could not be reached.';
  if (status === 501) return 'This feature is not available on this server yet.';
  if (status >= 500) return `The server answered with an error (HTTP ${status}).`;
  return `The request failed (HTTP ${status}).`;
}

/** Builds the error for a failed answer from its status and raw body (JSON or not). */
export function parseError(status: number, text: string): ApiError {
  let body: ErrorBody = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as ErrorBody;
  } catch {
    body = text.trim() && text.length < 300 ? { detail: text.trim() } : {};
  }
  return new ApiError(status, body);
}

/**
 * The answer of a fleet write (`{hosts: [{host, ok, status, result?, error?}]}`): the first
 * failed host's error, or null when every host succeeded.
 */
export function fleetFailure(body: unknown): ApiError | null {
  if (!body || typeof body !== 'object') return null;
  const hosts = (body as { hosts?: unknown }).hosts;
  if (!Array.isArray(hosts)) return null;
  for (const h of hosts as { host?: string; ok?: boolean; status?: number; error?: ErrorBody }[]) {
    if (h && h.ok === false) {
      const err = new ApiError(h.status ?? 502, {
        ...(h.error ?? {}),
        detail: `${h.host ?? 'host'}: ${h.error?.detail ?? 'failed'}`,
      });
      return err;
    }
  }
  return null;
}

/** Unwraps a fleet write to the first host's `result`, or returns a single-host body. */
export function unwrapResult<T>(body: unknown): T {
  if (body && typeof body === 'object' && Array.isArray((body as { hosts?: unknown }).hosts)) {
    const hosts = (body as { hosts: { result?: unknown }[] }).hosts;
    const withResult = hosts.find((h) => h && h.result !== undefined);
    if (withResult && Object.keys(body as object).length === 1) return withResult.result as T;
  }
  return body as T;
}

type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Host scope; `undefined` = the page's current host (from the URL). */
  host?: string | null;
  /** Don't redirect to the login page on 401 (the auth check itself). */
  noAuthRedirect?: boolean;
  signal?: AbortSignal;
}

type Listener = (err: ApiError) => void;
let onAuthLost: Listener = () => {};
let onSetupRequired: Listener = () => {};

export function setAuthHandlers(auth: Listener, setup: Listener): void {
  onAuthLost = auth;
  onSetupRequired = setup;
}

export function currentHost(): string | null {
  if (typeof location === 'undefined') return null;
  return new URLSearchParams(location.search).get('host') || null;
}

export function apiUrl(path: string, query: Record<string, QueryValue> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return '/api/v1' + path + (s ? '?' + s : '');
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const host = opts.host === undefined ? currentHost() : opts.host;
  const query = { ...(opts.query ?? {}), host: host ?? undefined };
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-BanGUI-Request'] = '1';
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network_error', detail: 'The server could not be reached.' });
  }
  const text = await res.text();
  if (!res.ok) {
    const err = parseError(res.status, text);
    if (res.status === 401 && !opts.noAuthRedirect) onAuthLost(err);
    if (res.status === 503 && err.code === 'setup_required') onSetupRequired(err);
    throw err;
  }
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (method !== 'GET') {
    const failed = fleetFailure(parsed);
    if (failed) throw failed;
  }
  return parsed as T;
}

const shared = new Map<string, { at: number; promise: Promise<unknown> }>();

/**
 * A GET shared by every caller for `ttlMs` (the host list is read by the status bar, the host
 * selector and pages at once). A failed answer is not kept.
 */
export function sharedGet<T>(path: string, ttlMs = 5000): Promise<T> {
  const hit = shared.get(path);
  if (hit && Date.now() - hit.at < ttlMs) return hit.promise as Promise<T>;
  const promise = request<T>('GET', path, { host: null });
  shared.set(path, { at: Date.now(), promise });
  promise.catch(() => shared.delete(path));
  return promise;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
  del: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('DELETE', path, { ...opts, body }),
};
