/**
 * What cfkd does about its descriptor limit: the start-up line saying what
 * it is (raised soft → hard), and a spawner that tells the consoles to check
 * for a free descriptor after each spawn (its pipes may have taken the last
 * ones: see listener.ts) and words a spawn that failed for lack of them.
 */
import type { Spawner } from "./os/spawner.ts";
import * as libc from "./os/libc.ts";

/** Raise the soft open-files limit to the hard one; the log line that says so. */
export function raiseFdLimit(): string {
  const r = libc.raiseFdLimit();
  if (libc.isFailure(r)) return `cannot raise the open files limit: ${r.message}`;
  if (r.before.soft === r.after.soft) return `open files limit: ${r.after.soft} (the hard limit is ${r.after.hard})`;
  return `open files limit raised from ${r.before.soft} to ${r.after.soft} (the hard limit)`;
}

/** `spawner`, calling `check` after every spawn and naming the limit when one fails with EMFILE/ENFILE. */
export function fdAware(spawner: Spawner, check: () => void): Spawner {
  return (req, onExit) => {
    try {
      const child = spawner(req, onExit);
      check();
      return child;
    } catch (e) {
      if (!libc.isFdExhaustion(e)) throw e;
      check();
      const lim = libc.getFdLimit();
      const limit = libc.isFailure(lim) ? "" : ` (limit ${lim.soft} open files)`;
      throw Object.assign(new Error(`out of file descriptors${limit}: ${(e as Error).message}`), { code: (e as { code?: string }).code });
    }
  };
}
