// World-map colour thresholds: the API's steps (`GET /config/map-color-thresholds`, a list of
// `{min_bans, color}`) or the same defaults while the route is missing, and the mapping from a
// ban count to a colour.

export interface Step {
  min_bans: number;
  color: string;
}

export const DEFAULT_STEPS: Step[] = [
  { min_bans: 1, color: '#fde68a' },
  { min_bans: 10, color: '#f59e0b' },
  { min_bans: 50, color: '#ef4444' },
  { min_bans: 100, color: '#991b1b' },
];

const HEX = /^#[0-9a-fA-F]{6}$/;

/** Problems of a step list, keyed like the server's fields (`thresholds[1].min_bans`). */
export function stepProblems(steps: Step[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (steps.length < 1 || steps.length > 10) out.thresholds = 'Between 1 and 10 steps.';
  steps.forEach((s, i) => {
    if (!Number.isInteger(s.min_bans) || s.min_bans < 1) out[`thresholds[${i}].min_bans`] = 'At least 1.';
    else if (i > 0 && s.min_bans <= steps[i - 1].min_bans) out[`thresholds[${i}].min_bans`] = `Must be greater than ${steps[i - 1].min_bans}.`;
    if (!HEX.test(s.color)) out[`thresholds[${i}].color`] = 'A #rrggbb colour.';
  });
  return out;
}

/** Reads `{thresholds: [{min_bans, color}]}`; anything invalid gives the defaults. */
export function parseSteps(body: unknown): Step[] {
  const list = body && typeof body === 'object' ? (body as { thresholds?: unknown }).thresholds : undefined;
  if (!Array.isArray(list)) return DEFAULT_STEPS;
  const steps = list.map((s) => ({ min_bans: Number((s as Step)?.min_bans), color: String((s as Step)?.color ?? '') }));
  return Object.keys(stepProblems(steps)).length === 0 ? steps : DEFAULT_STEPS;
}

/** The index of the highest step whose `min_bans` the count reaches, or -1 (no colour). */
export function stepIndex(count: number, steps: Step[]): number {
  let found = -1;
  steps.forEach((s, i) => {
    if (count >= s.min_bans) found = i;
  });
  return found;
}

/** The fill of a country: its step's colour, or null for the map's default fill. */
export function colorFor(count: number, steps: Step[]): string | null {
  const i = stepIndex(count, steps);
  return i < 0 ? null : steps[i].color;
}

/** Legend labels: `1–9`, `10–49`, `50–99`, `100+`. */
export function legend(steps: Step[]): { color: string; label: string }[] {
  return steps.map((s, i) => {
    const next = steps[i + 1];
    const label = !next ? `${s.min_bans}+` : next.min_bans - 1 === s.min_bans ? `${s.min_bans}` : `${s.min_bans}–${next.min_bans - 1}`;
    return { color: s.color, label };
  });
}
