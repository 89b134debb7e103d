// fail2ban's configuration keys and the editor's field names: the server reports errors with
// either (`metadata.key` = `bantime`, `metadata.field` = `ban_time`).

const KEY_TO_FIELD: Record<string, string> = {
  maxretry: 'max_retry',
  bantime: 'ban_time',
  findtime: 'find_time',
  logpath: 'log_paths',
  ignoreip: 'ignore_ip',
  'bantime.increment': 'bantime_increment',
};

/** The editor field for a server key or field name (unknown keys pass through). */
export function fieldForKey(key: string): string {
  return KEY_TO_FIELD[key] ?? key;
}

/** Lines of a textarea as a list (blank lines dropped, ends trimmed). */
export function splitLines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** How a form field becomes its API value: a list of lines, a number, or the text itself. */
export type FieldKind = 'lines' | 'number' | 'text';

/**
 * The update body of an editor: only the fields whose text changed, converted by their kind
 * (`lines` → list, `number` → number; booleans pass through).
 */
export function changedFields<F extends Record<string, string | boolean>>(
  before: F,
  after: F,
  kinds: Partial<Record<keyof F, FieldKind>> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(after) as (keyof F & string)[]) {
    const v = after[k];
    if (v === before[k]) continue;
    const kind = kinds[k] ?? 'text';
    if (typeof v === 'boolean') out[k] = v;
    else if (kind === 'lines') out[k] = splitLines(v);
    else if (kind === 'number') out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}
