import { describe, expect, it } from 'vitest';
import { changedFields, fieldForKey, splitLines } from './configKeys';

describe('config keys', () => {
  it('maps fail2ban keys to editor fields', () => {
    expect(fieldForKey('maxretry')).toBe('max_retry');
    expect(fieldForKey('bantime')).toBe('ban_time');
    expect(fieldForKey('backend')).toBe('backend');
  });
  it('splits textarea lines', () => {
    expect(splitLines(' a \n\n b\n')).toEqual(['a', 'b']);
  });
});

describe('changedFields', () => {
  it('sends only changed fields, converted by kind', () => {
    const before = { enabled: true, max_retry: '3', log_paths: '/a\n/b', ban_time: '1h' };
    const after = { enabled: false, max_retry: '5', log_paths: '/a\n\n /c ', ban_time: '1h' };
    expect(changedFields(before, after, { max_retry: 'number', log_paths: 'lines' })).toEqual({
      enabled: false,
      max_retry: 5,
      log_paths: ['/a', '/c'],
    });
    expect(changedFields(before, before)).toEqual({});
  });
});
