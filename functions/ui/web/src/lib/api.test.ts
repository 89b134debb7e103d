import { describe, expect, it } from 'vitest';
import { apiUrl, fleetFailure, parseError, unwrapResult, withFieldErrors } from './api';

describe('parseError', () => {
  it('reads the flat error body with field metadata', () => {
    const e = parseError(
      400,
      JSON.stringify({
        code: 'invalid_input',
        detail: 'master_password: too short',
        metadata: { field: 'master_password', fields: { master_password: 'too short', timezone: 'unknown zone' } },
        correlation_id: 'c1',
      }),
    );
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_input');
    expect(e.field).toBe('master_password');
    expect(e.fields).toEqual({ master_password: 'too short', timezone: 'unknown zone' });
    expect(e.correlationId).toBe('c1');
    expect(e.notImplemented).toBe(false);
  });
  it('uses metadata.key as the field (config validation)', () => {
    const e = parseError(422, '{"code":"config_validation_failed","detail":"bantime bad","metadata":{"key":"bantime"}}');
    expect(e.field).toBe('bantime');
    expect(e.fields).toEqual({ bantime: 'bantime bad' });
  });
  it('recognises not_implemented', () => {
    const e = parseError(501, '{"code":"not_implemented","detail":"GET /x is not served","metadata":{}}');
    expect(e.notImplemented).toBe(true);
    expect(e.detail).toBe('GET /x is not served');
  });
  it('survives non-JSON and empty bodies', () => {
    expect(parseError(502, '<html>Bad gateway</html>').detail).toBe('<html>Bad gateway</html>');
    expect(parseError(500, '').detail).toMatch(/HTTP 500/);
    expect(parseError(500, '').code).toBe('http_500');
    expect(parseError(404, 'null').fields).toEqual({});
  });
});

describe('fleet answers', () => {
  it('finds the first failed host', () => {
    const body = {
      hosts: [
        { host: 'a', ok: true, status: 200, result: { x: 1 } },
        { host: 'b', ok: false, status: 502, error: { code: 'agent_unreachable', detail: 'agent b is unreachable' } },
      ],
    };
    const e = fleetFailure(body)!;
    expect(e.status).toBe(502);
    expect(e.code).toBe('agent_unreachable');
    expect(e.detail).toBe('b: agent b is unreachable');
  });
  it('is null when every host succeeded or for plain bodies', () => {
    expect(fleetFailure({ hosts: [{ host: 'a', ok: true, status: 200 }] })).toBeNull();
    expect(fleetFailure({ items: [] })).toBeNull();
    expect(fleetFailure(null)).toBeNull();
  });
  it('unwraps a fleet write to the first result, leaves views alone', () => {
    expect(unwrapResult({ hosts: [{ host: 'a', ok: true, result: { jail: { name: 'x' } } }] })).toEqual({ jail: { name: 'x' } });
    const view = { items: [1], hosts: [{ host: 'a', ok: true }] };
    expect(unwrapResult(view)).toBe(view);
  });
});

describe('apiUrl', () => {
  it('prefixes /api/v1 and drops empty parameters', () => {
    expect(apiUrl('/dashboard/bans', { range: '7d', origin: undefined, host: null, page: 1 })).toBe('/api/v1/dashboard/bans?range=7d&page=1');
    expect(apiUrl('/jails')).toBe('/api/v1/jails');
  });
});

describe('withFieldErrors', () => {
  it('shows a refused write\'s fields, then rejects with the same error', async () => {
    const refused = parseError(400, '{"code":"invalid_input","detail":"url: bad","metadata":{"field":"url"}}');
    let shown: Record<string, string> | undefined;
    await expect(withFieldErrors(Promise.reject(refused), (f) => (shown = f))).rejects.toBe(refused);
    expect(shown).toEqual({ url: 'url: bad' });
  });
  it('passes a success through without showing anything', async () => {
    let calls = 0;
    await expect(withFieldErrors(Promise.resolve(7), () => calls++)).resolves.toBe(7);
    expect(calls).toBe(0);
  });
});
