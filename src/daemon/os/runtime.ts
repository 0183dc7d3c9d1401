/**
 * Bun's runtime settings that only take effect at start-up, by environment.
 *
 * Bun's GC controller wakes an idle program every second (it reads
 * /proc/self/statm and may start a collection), backing off to every 30 s
 * only after a long quiet spell: for a daemon that has nothing to do, that
 * was the idle CPU and nearly all of its wakeups (measured: 20 ms of CPU and
 * ~15 wakeups/s with 200 services; 0 ms and ~2/s without it). JavaScriptCore
 * still collects by its own allocation-driven timers, so memory is still
 * reclaimed when the daemon works. The controller can only be switched off
 * before the VM starts, so cfkd runs itself again once, with
 * BUN_GC_TIMER_DISABLE=1 (execve: same pid, same descriptors), and takes the
 * variable back out of its environment so that services do not inherit it.
 */
import { execve } from "./libc.ts";

const GC_TIMER_OFF = "BUN_GC_TIMER_DISABLE";
/** set in the re-run program: the variable above was ours, not the operator's */
const MARK = "_CFKD_RUNTIME_SET";

export type Self = {
  /** the executable (process.execPath) */
  execPath: string;
  /** the arguments to run again: [argv0, (script,) ...args] */
  argv: readonly string[];
  env: Record<string, string | undefined>;
};

/**
 * Run this program again with Bun's idle GC timer off, unless that is done
 * already or the operator set BUN_GC_TIMER_DISABLE themselves. Returns (and
 * the program goes on as it is) when it has nothing to do or execve failed.
 * In the re-run program, removes what it added from `env`.
 */
export function quietRuntime(self: Self): void {
  const env = self.env;
  if (env[MARK] !== undefined) {
    delete env[MARK];
    delete env[GC_TIMER_OFF];
    return;
  }
  if (env[GC_TIMER_OFF] !== undefined) return;
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  next[GC_TIMER_OFF] = "1";
  next[MARK] = "1";
  execve(self.execPath, self.argv, next); // returns only when it failed: run as we are
}
