/** Value rules shared by every declaration (SPEC §3.1): pure functions, no I/O. */

/**
 * Clean a raw value: drop leading whitespace; a value starting with a quote is
 * taken up to the last matching quote; an empty result means "unset" (null).
 */
export function cleanValue(raw: string): string | null {
  let v = raw.replace(/^\s+/, "");
  const q = v[0];
  if (q === '"' || q === "'") {
    const end = v.lastIndexOf(q);
    if (end > 0) v = v.slice(1, end);
  }
  return v.length === 0 ? null : v;
}

const TRUE = new Set(["1", "true", "on", "enabled", "yes"]);
const FALSE = new Set(["0", "false", "off", "disabled", "no"]);

/** Parse a boolean word; undefined when it is not one. */
export function parseBool(v: string): boolean | undefined {
  const w = v.trim().toLowerCase();
  if (TRUE.has(w)) return true;
  if (FALSE.has(w)) return false;
  return undefined;
}

/** A non-negative decimal number (integers or fractions), else undefined. */
export function parseNonNegative(v: string): number | undefined {
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A number of seconds, 0 to a day, as typed (no spaces): pauses, timeouts, intervals. */
export function parseSeconds(v: string): number | undefined {
  return /^(\d+(\.\d*)?|\.\d+)$/.test(v) && Number(v) <= 86400 ? Number(v) : undefined;
}

/** A positive integer, else undefined. */
export function parsePositiveInt(v: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** An integer in [min, max] (optionally signed), else undefined. */
export function parseIntIn(v: string, min: number, max: number): number | undefined {
  if (!/^\s*[+-]?\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** Object and property names: `[A-Za-z0-9_-]+`. */
export const WORD = /^[A-Za-z0-9_-]+$/;

/** A valid object name starts with a letter or `_`; `-` alone is reserved. */
export function isValidName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name);
}
