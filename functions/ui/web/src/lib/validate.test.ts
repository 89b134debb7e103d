import { describe, expect, it } from 'vitest';
import { isIp, isIpOrNetwork, passwordProblems, sessionMinutesProblem } from './validate';

describe('validate', () => {
  it('lists every password problem', () => {
    expect(passwordProblems('weak')).toEqual(['at least 8 bytes', 'an uppercase letter', 'a digit', 'a special character']);
    expect(passwordProblems('Choose-a-str0ng-one!')).toEqual([]);
    expect(passwordProblems('A1!' + 'x'.repeat(70))).toEqual(['at most 72 bytes']);
    // bytes, not characters: 4 two-byte letters are 8 bytes
    expect(passwordProblems('Ää1!ää')).toEqual([]);
  });
  it('checks session minutes', () => {
    expect(sessionMinutesProblem('480')).toBeNull();
    expect(sessionMinutesProblem('')).toBeNull();
    expect(sessionMinutesProblem('4')).not.toBeNull();
    expect(sessionMinutesProblem('43201')).not.toBeNull();
    expect(sessionMinutesProblem('1.5')).not.toBeNull();
  });
  it('recognises addresses and networks', () => {
    for (const ok of ['192.0.2.1', '2001:db8::1', '::1', '2001:db8:0:0:0:0:0:1', '::ffff:192.0.2.1']) expect(isIp(ok), ok).toBe(true);
    for (const bad of ['192.0.2.256', '192.0.2', 'x', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', '']) expect(isIp(bad), bad).toBe(false);
    expect(isIpOrNetwork('10.0.0.0/8')).toBe(true);
    expect(isIpOrNetwork('2001:db8::/32')).toBe(true);
    expect(isIpOrNetwork('10.0.0.0/33')).toBe(false);
    expect(isIpOrNetwork('10.0.0.0/8/1')).toBe(false);
  });
});
