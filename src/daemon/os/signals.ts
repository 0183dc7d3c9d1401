/**
 * The signal seam: names and numbers (from the platform's own table), and
 * the one way cfkd signals a process. Services and proxies get a `Signals`
 * through their world, so an in-process test can hand in a fake that
 * records what would have been sent.
 */
import { constants } from "node:os";

const sigs = constants.signals as Record<string, number>;

export const SIGKILL = sigs.SIGKILL!;
export const SIGTERM = sigs.SIGTERM!;
export const SIGCONT = sigs.SIGCONT!;

/** The names `stop_signal` may use (SPEC §3.2). */
const ALLOWED = ["TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "KILL"] as const;

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

/** How cfkd signals processes: the world's `signals`. */
export interface Signals {
  /** Send a signal to a pid (negative: a group); false when the target is gone or refused. */
  send(target: number, signal: number): boolean;
  /** Signal a process: its whole group when it leads one, else the pid alone. */
  process(pid: number, signal: number, groupLeader: boolean): void;
}

/**
 * Send a signal; false when the target is already gone. Never to every
 * process (-1), to cfkd's own group (0) or to cfkd itself: some pids come
 * from proxies, and a confused proxy must not make cfkd kill the world.
 */
export function sendSignal(target: number, signal: number): boolean {
  if (!Number.isSafeInteger(target) || target === 0 || target === -1 || Math.abs(target) === process.pid) return false;
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signal a process: its whole group when it leads one, else the pid alone. */
export function signalProcess(pid: number, signal: number, groupLeader: boolean, send = sendSignal): void {
  if (!(groupLeader && send(-pid, signal))) send(pid, signal);
}

/** The real thing: `process.kill`, guarded. */
export const osSignals: Signals = {
  send: sendSignal,
  process: (pid, signal, groupLeader) => signalProcess(pid, signal, groupLeader),
};

/** The name `stop_signal` is written with (`TERM`), or the number when it has none of the allowed names. */
export function signalName(n: number): string {
  for (const name of ALLOWED) if (sigs[`SIG${name}`] === n) return name;
  return String(n);
}

/**
 * As PID 1 of a PID namespace only: SIGKILL every other process in it
 * (kill(-1) from PID 1 spares the sender). Elsewhere it does nothing: -1
 * would mean every process the user may signal.
 */
export function killNamespace(): void {
  if (process.pid !== 1) return;
  try {
    process.kill(-1, SIGKILL);
  } catch {
    /* nobody left */
  }
}
