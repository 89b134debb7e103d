// Splits text into marked and plain parts for match highlighting.

export interface Part {
  text: string;
  mark: boolean;
}

/**
 * Parts of `text` with `spans` ([start, end) character offsets) marked. Overlapping or
 * out-of-range spans are merged and clipped.
 */
export function highlightSpans(text: string, spans: [number, number][]): Part[] {
  const clean = spans
    .map(([a, b]) => [Math.max(0, Math.min(a, text.length)), Math.max(0, Math.min(b, text.length))] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const s of clean) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  const parts: Part[] = [];
  let pos = 0;
  for (const [a, b] of merged) {
    if (a > pos) parts.push({ text: text.slice(pos, a), mark: false });
    parts.push({ text: text.slice(a, b), mark: true });
    pos = b;
  }
  if (pos < text.length || parts.length === 0) parts.push({ text: text.slice(pos), mark: false });
  return parts;
}

/** Spans of each capture's first occurrence in the line (the tester reports values, not offsets). */
export function captureSpans(line: string, captures: Record<string, string>): [number, number][] {
  const out: [number, number][] = [];
  for (const v of Object.values(captures)) {
    if (!v) continue;
    const i = line.indexOf(v);
    if (i >= 0) out.push([i, i + v.length]);
  }
  return out;
}
