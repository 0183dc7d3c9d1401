/** Signal names and numbers (the ones `stop_signal` may name, SPEC §3.2). */
import { constants } from "node:os";

const ALLOWED = ["TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "KILL"] as const;
const sigs = constants.signals as Record<string, number>;

/** `TERM`, `SIGTERM` or a number in 1..64; undefined otherwise. */
export function parseSignal(v: string): number | undefined {
  const t = v.trim().toUpperCase().replace(/^SIG/, "");
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  if (!(ALLOWED as readonly string[]).includes(t)) return undefined;
  return sigs[`SIG${t}`];
}

/** A signal number from Bun's exit callback (a name like "SIGKILL", or a number). */
export function signalNumber(s: string | number | null | undefined): number | null {
  if (s === null || s === undefined) return null;
  if (typeof s === "number") return s;
  return sigs[s] ?? null;
}
