// The ban trend as a uPlot area chart (lazy chunk), with a text summary for screen readers.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBucket } from '../lib/format';
import type { Trend } from '../lib/types';

export function TrendChart({ trend }: { trend: Trend }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const xs = trend.buckets.map((_, i) => i);
    const ys = trend.buckets.map((b) => b.count);
    const labels = trend.buckets.map((b) => formatBucket(b.local_start, trend.bucket_size));
    const css = getComputedStyle(document.documentElement);
    const accent = css.getPropertyValue('--accent').trim() || '#2563eb';
    const fg = css.getPropertyValue('--fg-muted').trim() || '#666';
    const grid = css.getPropertyValue('--border').trim() || '#ddd';
    const width = Math.max(280, node.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 200,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          {
            stroke: fg,
            grid: { stroke: grid, width: 1 },
            values: (_u, splits) => splits.map((s) => labels[Math.round(s)] ?? ''),
          },
          { stroke: fg, grid: { stroke: grid, width: 1 }, values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : '')) },
        ],
        series: [{}, { label: 'Bans', stroke: accent, width: 2, fill: accent + '33', points: { show: false } }],
      },
      [xs, ys],
      node,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, node.clientWidth), height: 200 }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [trend]);
  const peak = trend.buckets.reduce((m, b) => (b.count > m.count ? b : m), trend.buckets[0] ?? { count: 0, local_start: '' });
  return (
    <figure class="trend">
      <div ref={el} class="trend-plot" aria-hidden="true" />
      <figcaption class="muted small">
        {trend.total.toLocaleString('en-US')} bans in {trend.buckets.length} buckets of {trend.bucket_size}
        {peak && peak.count > 0 ? `; peak ${peak.count} at ${formatBucket(peak.local_start, trend.bucket_size)}` : ''} ({trend.timezone})
      </figcaption>
    </figure>
  );
}
