import { describe, expect, it } from 'vitest';
import { captureSpans, highlightSpans } from './highlight';

describe('highlight', () => {
  it('marks spans and merges overlaps', () => {
    expect(highlightSpans('abcdef', [[1, 3], [2, 4]])).toEqual([
      { text: 'a', mark: false },
      { text: 'bcd', mark: true },
      { text: 'ef', mark: false },
    ]);
  });
  it('clips out-of-range spans and keeps plain text', () => {
    expect(highlightSpans('abc', [[2, 99]])).toEqual([
      { text: 'ab', mark: false },
      { text: 'c', mark: true },
    ]);
    expect(highlightSpans('abc', [])).toEqual([{ text: 'abc', mark: false }]);
    expect(highlightSpans('', [])).toEqual([{ text: '', mark: false }]);
  });
  it('finds capture values in the line', () => {
    expect(captureSpans('failed for bob from 192.0.2.7', { user: 'bob', ip4: '192.0.2.7', nope: 'zzz' })).toEqual([
      [11, 14],
      [20, 29],
    ]);
  });
});
