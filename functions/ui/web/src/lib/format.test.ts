import { describe, expect, it } from 'vitest';
import { flagEmoji, formatBucket, formatDuration, formatNumber, listSome } from './format';

describe('format', () => {
  it('makes flag emoji from ISO codes', () => {
    expect(flagEmoji('DE')).toBe('🇩🇪');
    expect(flagEmoji('us')).toBe('🇺🇸');
    expect(flagEmoji(null)).toBe('');
    expect(flagEmoji('USA')).toBe('');
    expect(flagEmoji('1A')).toBe('');
  });
  it('formats durations', () => {
    expect(formatDuration(600)).toBe('10m');
    expect(formatDuration(3661)).toBe('1h 1m');
    expect(formatDuration(90061)).toBe('1d 1h');
    expect(formatDuration(-1)).toBe('permanent');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(null)).toBe('–');
  });
  it('labels trend buckets by size in the server zone', () => {
    expect(formatBucket('2026-11-28T08:00:00+01:00', '1h')).toBe('08:00');
    expect(formatBucket('2026-11-28T18:00:00+01:00', '6h')).toBe('Nov 28 18:00');
    expect(formatBucket('2026-03-29T00:00:00+01:00', '1d')).toBe('Mar 29');
    expect(formatBucket('2026-01-05T00:00:00+00:00', '7d')).toBe('wk Jan 5');
    expect(formatBucket('garbage', '1d')).toBe('garbage');
  });
  it('formats numbers', () => {
    expect(formatNumber(12345)).toBe('12,345');
    expect(formatNumber(undefined)).toBe('–');
  });
});

describe('listSome', () => {
  it('shortens long lists', () => {
    expect(listSome(['a', 'b', 'c'], 2)).toBe('a, b and 1 more');
    expect(listSome(['a', 'b'], 2)).toBe('a, b');
    expect(listSome([], 2, 'no jail')).toBe('no jail');
  });
});
