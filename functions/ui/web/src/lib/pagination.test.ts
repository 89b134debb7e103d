import { describe, expect, it } from 'vitest';
import { clampPage, pageWindow, paginate, rangeLabel } from './pagination';

describe('pageWindow', () => {
  it('shows first, last and neighbours with gaps', () => {
    expect(pageWindow(10, 20)).toEqual([1, null, 9, 10, 11, null, 20]);
    expect(pageWindow(1, 20)).toEqual([1, 2, null, 20]);
    expect(pageWindow(20, 20)).toEqual([1, null, 19, 20]);
  });
  it('fills a gap of one page with the page', () => {
    expect(pageWindow(4, 8)).toEqual([1, 2, 3, 4, 5, null, 8]);
  });
  it('handles tiny and empty ranges', () => {
    expect(pageWindow(1, 1)).toEqual([1]);
    expect(pageWindow(1, 0)).toEqual([]);
    expect(pageWindow(99, 3)).toEqual([1, 2, 3]);
  });
});

describe('paginate', () => {
  const items = Array.from({ length: 45 }, (_, i) => i);
  it('slices pages and reports them', () => {
    const p = paginate(items, 3, 20);
    expect(p.items).toEqual([40, 41, 42, 43, 44]);
    expect(p.pagination).toEqual({ page: 3, page_size: 20, total: 45, total_pages: 3, has_next_page: false, has_prev_page: true });
  });
  it('clamps a page past the end', () => {
    expect(paginate(items, 9, 20).pagination.page).toBe(3);
    expect(paginate([], 2, 20).pagination).toMatchObject({ page: 1, total: 0, total_pages: 0, has_next_page: false });
  });
  it('labels ranges', () => {
    expect(rangeLabel(paginate(items, 2, 20).pagination)).toBe('21–40 of 45');
    expect(rangeLabel(paginate([], 1, 20).pagination)).toBe('No entries');
    expect(clampPage(NaN, 4)).toBe(1);
  });
});
