import { describe, expect, it } from 'vitest';
import { colorFor, DEFAULT_STEPS, legend, parseSteps, stepIndex, stepProblems } from './thresholds';

const steps = [
  { min_bans: 1, color: '#111111' },
  { min_bans: 10, color: '#222222' },
  { min_bans: 50, color: '#333333' },
];

describe('threshold colours', () => {
  it('maps counts to the highest step reached', () => {
    expect(colorFor(0, steps)).toBeNull();
    expect(colorFor(1, steps)).toBe('#111111');
    expect(colorFor(9, steps)).toBe('#111111');
    expect(colorFor(10, steps)).toBe('#222222');
    expect(colorFor(49, steps)).toBe('#222222');
    expect(colorFor(50, steps)).toBe('#333333');
    expect(colorFor(1e6, steps)).toBe('#333333');
    expect(stepIndex(-3, steps)).toBe(-1);
  });
  it('labels the legend by ranges', () => {
    expect(legend(steps).map((l) => l.label)).toEqual(['1–9', '10–49', '50+']);
    expect(legend([{ min_bans: 1, color: '#000000' }, { min_bans: 2, color: '#ffffff' }]).map((l) => l.label)).toEqual(['1', '2+']);
  });
  it('parses the API body and falls back to the defaults when invalid', () => {
    expect(parseSteps({ thresholds: steps, is_default: false })).toEqual(steps);
    expect(parseSteps(undefined)).toBe(DEFAULT_STEPS);
    expect(parseSteps({ thresholds: [{ min_bans: 5, color: '#000000' }, { min_bans: 5, color: '#000000' }] })).toBe(DEFAULT_STEPS);
    expect(parseSteps({ thresholds: [{ min_bans: 1, color: 'red' }] })).toBe(DEFAULT_STEPS);
  });
  it('names problems like the server does', () => {
    expect(stepProblems(steps)).toEqual({});
    expect(stepProblems([{ min_bans: 0, color: '#000000' }])).toHaveProperty(['thresholds[0].min_bans']);
    expect(stepProblems([{ min_bans: 5, color: '#000000' }, { min_bans: 3, color: '#00000' }])).toEqual({
      'thresholds[1].min_bans': 'Must be greater than 5.',
      'thresholds[1].color': 'A #rrggbb colour.',
    });
    expect(stepProblems([])).toHaveProperty('thresholds');
  });
  it('default steps are valid', () => {
    expect(stepProblems(DEFAULT_STEPS)).toEqual({});
  });
});
