// The choropleth: world-atlas 110m countries projected with d3-geo, coloured by thresholds.
import { useMemo, useState } from 'preact/hooks';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { NUMERIC_TO_ALPHA2 } from '../lib/iso-numeric';
import { colorFor, stepIndex, type Step } from '../lib/thresholds';
import { flagEmoji } from '../lib/format';

const WIDTH = 960;
const HEIGHT = 500;

interface Shape {
  code: string;
  name: string;
  d: string;
}

function shapes(): Shape[] {
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const all = feature(topo, topo.objects.countries);
  // Antarctica takes a fifth of the height and never bans anyone.
  const fc = { ...all, features: all.features.filter((f) => String(f.id) !== '010') };
  const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], fc);
  const path = geoPath(projection);
  return fc.features
    .map((f) => ({
      code: NUMERIC_TO_ALPHA2[String(f.id ?? '')] ?? (f.properties?.name === 'Kosovo' ? 'XK' : ''),
      name: f.properties?.name ?? '',
      d: path(f) ?? '',
    }))
    .filter((s) => s.d);
}

let cache: Shape[] | undefined;

export function WorldMap({
  counts,
  names,
  steps,
  selected,
  onSelect,
}: {
  counts: Record<string, number>;
  names: Record<string, string>;
  steps: Step[];
  selected?: string;
  onSelect: (code: string | undefined) => void;
}) {
  const all = useMemo(() => (cache ??= shapes()), []);
  const [tip, setTip] = useState<{ x: number; y: number; text: string }>();
  const label = (s: Shape) => {
    const n = counts[s.code] ?? 0;
    return `${names[s.code] ?? s.name}: ${n.toLocaleString('en-US')} ban${n === 1 ? '' : 's'}`;
  };
  return (
    <div class="map-wrap" onMouseLeave={() => setTip(undefined)}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} class="worldmap" role="group" aria-label="Bans per country">
        {all.map((s, i) => {
          const n = counts[s.code] ?? 0;
          const step = stepIndex(n, steps);
          return (
            <path
              key={s.code || 'x' + i}
              d={s.d}
              data-country={s.code}
              data-step={step}
              style={{ fill: colorFor(n, steps) ?? 'var(--map-empty)' }}
              class={(selected && selected === s.code ? 'selected ' : '') + (n > 0 ? 'has-bans' : '')}
              tabIndex={n > 0 ? 0 : -1}
              role={n > 0 ? 'button' : undefined}
              aria-label={n > 0 ? label(s) : undefined}
              aria-pressed={n > 0 ? selected === s.code : undefined}
              onMouseMove={(e) => {
                const box = (e.currentTarget.ownerSVGElement?.parentElement as HTMLElement).getBoundingClientRect();
                setTip({ x: e.clientX - box.left + 12, y: e.clientY - box.top + 12, text: `${flagEmoji(s.code)} ${label(s)}` });
              }}
              onClick={() => s.code && onSelect(selected === s.code ? undefined : s.code)}
              onKeyDown={(e) => {
                if ((e.key === 'Enter' || e.key === ' ') && s.code) {
                  e.preventDefault();
                  onSelect(selected === s.code ? undefined : s.code);
                }
              }}
            >
              <title>{label(s)}</title>
            </path>
          );
        })}
      </svg>
      {tip ? (
        <div class="map-tip" style={{ left: tip.x + 'px', top: tip.y + 'px' }} role="tooltip">
          {tip.text}
        </div>
      ) : null}
    </div>
  );
}
