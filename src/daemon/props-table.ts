/**
 * The rule every declaration (`service`, `socket`, `proxy`) follows to set a
 * property from a table of setters (SPEC §3.1): unknown property, bad value,
 * or an empty value that puts the property back to its default. Pure.
 */
import { msg } from "../protocol/messages.ts";

/**
 * `expected`: what the property accepts, for properties whose refusal names
 * them; `message`: what is wrong with the value, for properties whose
 * setter says (the original's just say "invalid value").
 */
export type SetResult = { ok: true } | { ok: false; error: "property" | "value"; expected?: { value: string; what: string }; message?: string };

/** The wire's words for a failed set (SPEC §3.1), or null when it worked. */
export function setResultMessage(r: SetResult, prop: string): string | null {
  if (r.ok) return null;
  if (r.error === "property") return msg.invalidProperty(prop);
  if (r.message !== undefined) return `${msg.invalidValue()}: ${r.message}`;
  return r.expected ? msg.invalidValueFor(prop, r.expected.value, r.expected.what) : msg.invalidValue();
}

/** Parse `v` into `p`; false (or what is wrong, as a sentence) when the value is invalid (p left unchanged). */
export type Setter<P> = (p: P, v: string) => boolean | string;

/** The common setter: parse the value (undefined = invalid), store it in `key`. */
export function parsed<P, K extends keyof P>(key: K, parse: (v: string) => P[K] | undefined): Setter<P> {
  return (p, v) => {
    const x = parse(v);
    if (x === undefined) return false;
    p[key] = x;
    return true;
  };
}

/**
 * Set `prop` on `p` through `setters`; `value` null means unset, which
 * restores the default of the field `field(prop)` (usually `prop` itself).
 */
export function applyProp<P extends object>(
  setters: Record<string, Setter<P>>,
  defaults: () => P,
  p: P,
  prop: string,
  value: string | null,
  field: (prop: string) => string = (x) => x,
  expected: Record<string, string> = {},
): SetResult {
  const set = Object.hasOwn(setters, prop) ? setters[prop] : undefined;
  if (!set) return { ok: false, error: "property" };
  if (value === null) {
    const key = field(prop);
    (p as Record<string, unknown>)[key] = (defaults() as Record<string, unknown>)[key];
    return { ok: true };
  }
  const r = set(p, value);
  if (r === true) return { ok: true };
  if (typeof r === "string") return { ok: false, error: "value", message: r };
  const what = Object.hasOwn(expected, prop) ? expected[prop] : undefined;
  return what === undefined ? { ok: false, error: "value" } : { ok: false, error: "value", expected: { value, what } };
}
