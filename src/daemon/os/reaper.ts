/**
 * Reaping what cfkd did not spawn: orphans reparented to it, because it is
 * PID 1 of a PID namespace or a child subreaper (prctl, libc.ts). Their
 * exits raise SIGCHLD in cfkd; the entry file calls `reap()` then.
 *
 * The race with Bun: Bun reaps the children it spawned itself (waitpid on
 * each pid), and takes their exit status from that call. A waitpid(-1)
 * here could take a status Bun needs, so this never waits on "any child":
 * it lists cfkd's children from /proc and waits, with WNOHANG, only on
 * pids the spawner does not own (spawner.ts `isSpawnedChild`). A pid is
 * owned from before any other JavaScript runs after its spawn until Bun's
 * onExit, that is until after Bun reaped it, so the two never wait on the
 * same pid. A zombie keeps its pid until reaped, so the pid waited on here
 * cannot have been reused by another process.
 *
 * Cost: nothing while idle (no timer; SIGCHLD drives it). A burst of
 * SIGCHLDs costs one scan per turn of the event loop, not one per signal.
 */
import { childrenOf } from "./procfs.ts";
import { reapPid, setChildSubreaper, isFailure } from "./libc.ts";
import { isSpawnedChild } from "./spawner.ts";

export class Reaper {
  /** adopted orphans reaped so far */
  reaped = 0;
  private scheduled = false;

  constructor(private readonly self: number) {}

  /** Become a child subreaper; returns why not (not Linux, old kernel) or null. */
  static subreaper(): string | null {
    const r = setChildSubreaper();
    return r === null ? null : r.message;
  }

  /** SIGCHLD arrived: reap in the next turn (coalesces a burst). */
  reap(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reapNow();
    });
  }

  /** Reap every adopted orphan that has ended; returns how many. */
  reapNow(): number {
    let n = 0;
    for (const pid of childrenOf(this.self)) {
      if (isSpawnedChild(pid)) continue;
      const r = reapPid(pid);
      if (r !== null && !isFailure(r)) n++;
    }
    this.reaped += n;
    return n;
  }

  /** Adopted orphans still alive (cfkd's children it did not spawn). */
  adopted(): number[] {
    return childrenOf(this.self).filter((p) => !isSpawnedChild(p));
  }
}
