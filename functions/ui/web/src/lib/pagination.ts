// Pagination helpers for tables, server-paged or client-paged.

export interface Pagination {
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
  has_next_page: boolean;
  has_prev_page: boolean;
}

/** Page numbers to show around `page`, with `null` for a gap: [1, null, 4, 5, 6, null, 20]. */
export function pageWindow(page: number, totalPages: number, radius = 1): (number | null)[] {
  if (totalPages <= 0) return [];
  const p = clampPage(page, totalPages);
  const pages = new Set<number>([1, totalPages]);
  for (let i = p - radius; i <= p + radius; i++) if (i >= 1 && i <= totalPages) pages.add(i);
  const sorted = [...pages].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  sorted.forEach((n, i) => {
    if (i > 0 && n - sorted[i - 1] > 1) out.push(n - sorted[i - 1] === 2 ? n - 1 : null);
    out.push(n);
  });
  return out;
}

export function clampPage(page: number, totalPages: number): number {
  if (!Number.isFinite(page) || page < 1) return 1;
  return totalPages > 0 ? Math.min(Math.floor(page), totalPages) : 1;
}

/** Slices a client-side list into a page and the matching pagination record. */
export function paginate<T>(items: T[], page: number, pageSize: number): { items: T[]; pagination: Pagination } {
  const totalPages = Math.ceil(items.length / pageSize);
  const p = clampPage(page, totalPages);
  return {
    items: items.slice((p - 1) * pageSize, p * pageSize),
    pagination: {
      page: p,
      page_size: pageSize,
      total: items.length,
      total_pages: totalPages,
      has_next_page: p < totalPages,
      has_prev_page: p > 1,
    },
  };
}

/** "41–60 of 1,234" */
export function rangeLabel(p: Pagination): string {
  if (p.total === 0) return 'No entries';
  const from = (p.page - 1) * p.page_size + 1;
  const to = Math.min(p.page * p.page_size, p.total);
  return `${from.toLocaleString('en-US')}–${to.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}`;
}
