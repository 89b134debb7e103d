// Client-side checks mirroring the server's, so forms explain problems while typing. The
// server stays the authority: its field errors are shown the same way.

export function passwordProblems(pw: string): string[] {
  const problems: string[] = [];
  const bytes = new TextEncoder().encode(pw).length;
  if (bytes < 8) problems.push('at least 8 bytes');
  if (bytes > 72) problems.push('at most 72 bytes');
  // As the agent: Unicode uppercase, ASCII digit, any non-alphanumeric non-space character.
  if (!/\p{Lu}/u.test(pw)) problems.push('an uppercase letter');
  if (!/[0-9]/.test(pw)) problems.push('a digit');
  if (!/[^\p{L}\p{N}\s]/u.test(pw)) problems.push('a special character');
  return problems;
}

export function sessionMinutesProblem(raw: string): string | null {
  if (raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 5 || n > 43200) return 'Between 5 and 43,200 minutes.';
  return null;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A plain IPv4 or IPv6 address (no network). */
export function isIp(s: string): boolean {
  const v = s.trim();
  if (V4.test(v)) return true;
  return isV6(v);
}

function isV6(v: string): boolean {
  if (!v.includes(':') || v.includes(':::')) return false;
  const halves = v.split('::');
  if (halves.length > 2) return false;
  let groups = 0;
  for (let h = 0; h < halves.length; h++) {
    if (halves[h] === '') continue;
    const parts = halves[h].split(':');
    for (let i = 0; i < parts.length; i++) {
      const last = h === halves.length - 1 && i === parts.length - 1;
      if (last && V4.test(parts[i])) groups += 2;
      else if (/^[0-9a-fA-F]{1,4}$/.test(parts[i])) groups += 1;
      else return false;
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

/** An address or a CIDR network (for ignore lists). */
export function isIpOrNetwork(s: string): boolean {
  const [ip, bits, extra] = s.trim().split('/');
  if (extra !== undefined) return false;
  if (!isIp(ip)) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return Number.isInteger(n) && n >= 0 && n <= (ip.includes(':') ? 128 : 32);
}
