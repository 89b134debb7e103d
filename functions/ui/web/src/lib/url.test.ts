import { describe, expect, it } from 'vitest';
import { buildUrl, carryQuery, oneOf, pageOf, parseQuery, parseRoute, patchQuery, safeNext } from './url';

describe('parseRoute', () => {
  it('maps paths to pages with decoded params', () => {
    expect(parseRoute('/', '').page).toBe('dashboard');
    expect(parseRoute('/jails/sshd', '?host=agent2')).toEqual({ page: 'jail', params: { name: 'sshd' }, query: { host: 'agent2' } });
    expect(parseRoute('/history/2001%3Adb8%3A%3A1', '').params.ip).toBe('2001:db8::1');
    expect(parseRoute('/config/regex', '').params.tab).toBe('regex');
    expect(parseRoute('/config', '').page).toBe('config');
    expect(parseRoute('/nope/x/y', '').page).toBe('notfound');
  });
  it('keeps a bad escape as it is', () => {
    expect(parseRoute('/jails/%E0%A4%A', '').params.name).toBe('%E0%A4%A');
  });
  it('drops empty query values', () => {
    expect(parseQuery('?a=&b=1')).toEqual({ b: '1' });
  });
});

describe('buildUrl', () => {
  it('sorts keys and drops empty values so equal states give equal URLs', () => {
    expect(buildUrl('/', { range: '7d', origin: undefined, host: 'a', page: 2, x: '' })).toBe('/?host=a&page=2&range=7d');
    expect(buildUrl('/map', {})).toBe('/map');
  });
  it('encodes values', () => {
    expect(buildUrl('/login', { next: '/jails?host=a b' })).toBe('/login?next=%2Fjails%3Fhost%3Da+b');
  });
  it('round-trips through parseRoute', () => {
    const url = buildUrl('/history', { ip: '192.0.2.', jail: 'sshd', range: '30d', page: 3 });
    const [path, search] = url.split('?');
    expect(parseRoute(path, '?' + search).query).toEqual({ ip: '192.0.2.', jail: 'sshd', range: '30d', page: '3' });
  });
});

describe('patchQuery', () => {
  it('resets the page on a filter change and keeps the host', () => {
    expect(patchQuery({ host: 'a', page: '4', range: '7d' }, { range: '30d' })).toEqual({ host: 'a', range: '30d' });
  });
  it('keeps an explicit page', () => {
    expect(patchQuery({ range: '7d' }, { page: 2 })).toEqual({ range: '7d', page: 2 });
  });
  it('removes a filter set to undefined', () => {
    expect(buildUrl('/', patchQuery({ origin: 'blocklist' }, { origin: undefined }))).toBe('/');
  });
});

describe('helpers', () => {
  it('carries only the host', () => {
    expect(carryQuery({ host: 'b', range: '7d' })).toEqual({ host: 'b' });
    expect(carryQuery({ range: '7d' })).toEqual({});
  });
  it('accepts only same-origin paths after login', () => {
    expect(safeNext('/jails?host=a')).toBe('/jails?host=a');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('/\\evil')).toBe('/');
    expect(safeNext('/login?next=/x')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
  it('reads pages and enumerations defensively', () => {
    expect(pageOf({ page: '3' })).toBe(3);
    expect(pageOf({ page: '-1' })).toBe(1);
    expect(pageOf({ page: '2.5' })).toBe(1);
    expect(pageOf({})).toBe(1);
    expect(oneOf('7d', ['24h', '7d'] as const, '24h')).toBe('7d');
    expect(oneOf('1y', ['24h', '7d'] as const, '24h')).toBe('24h');
  });
});
