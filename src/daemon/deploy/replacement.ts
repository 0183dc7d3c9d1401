/**
 * One service's replacement, followed to its end: `restart` (stop, start,
 * running) or `reload` (a new generation beside the old one, running, the
 * old one gone). It listens to the state-change stream (changes.ts, fed to
 * `changed` by its roll); nobody polls.
 *
 * Done: the service is `running` with a pid other than the old one, and no
 * older generation is left. Failed: the service went stopped, fail, fatal
 * or backoff (the replacement died or was stopped), a reload fell back to
 * the old generation, the service was destroyed, or the deadline passed.
 * On a deadline, a reload still starting is abandoned (the old generation
 * serves on, machine.ts `abandonReload`); a restarted service is left to its
 * own rules (ready_timeout_secs, backoff): its old process is gone already,
 * and stopping a late replacement would only make things worse.
 *
 * Races handled: the change that settles it may come within the dispatch
 * itself (a refused restart, a start that fails at once): `begin` checks
 * the state after the dispatch; a service destroyed meanwhile; a deadline
 * and a change in the same tick (whichever comes first ends it, once).
 */
import type { Clock } from "../os/clock.ts";
import type { Service } from "../service/service.ts";

export type Verb = "restart" | "reload";

export type ReplacementWorld = {
  get(name: string): Service | undefined;
  clock: Clock;
  /** a progress line (to the client if it still listens, and to the daemon log) */
  progress(line: string): void;
};

export type Outcome = { ok: true } | { ok: false; reason: string };

/** How long to wait for an old process to go once its replacement runs, beyond stopwait_secs. */
const RETIRE_GRACE_MS = 2000;

export class Replacement {
  private oldPid: number | null = null;
  /** the old generation's pid once it was sent its stop signal (reload) */
  private retiring: number | null = null;
  private cancelTimer: (() => void) | null = null;
  private settled = false;

  constructor(
    readonly name: string,
    private readonly verb: Verb,
    private readonly timeoutMs: number,
    private readonly w: ReplacementWorld,
    private readonly onDone: (r: Replacement, o: Outcome) => void,
  ) {}

  get done(): boolean {
    return this.settled;
  }

  /** Send the restart or reload, then follow it. */
  begin(): void {
    const svc = this.w.get(this.name);
    if (!svc) return this.finish({ ok: false, reason: `${this.name} was destroyed` });
    this.oldPid = svc.pid;
    const wasUp = svc.up;
    const refused = svc.dispatch({ kind: this.verb });
    if (refused !== null) return this.finish({ ok: false, reason: `${this.name}: ${refused}` });
    if (this.settled) return;
    const older = svc.older;
    if (older !== null && !older.retiring) this.w.progress(`${this.name}: pid ${older.pid} serves while pid ${svc.pid ?? "?"} starts`);
    else if (wasUp) this.w.progress(`${this.name}: stopping pid ${this.oldPid ?? "?"}, then starting a new one`);
    else this.w.progress(`${this.name}: starting`);
    // a stop comes before a restart's start: its stopwait_secs is not the replacement's time
    const stopMs = wasUp && older === null ? svc.props.stopwait_secs * 1000 : 0;
    this.arm(stopMs + this.timeoutMs, () => this.late(`${this.name} not running within ${this.timeoutMs / 1000}s`));
    this.changed();
  }

  /** Look at the service again (a change of it was published). */
  changed(): void {
    if (this.settled) return;
    const svc = this.w.get(this.name);
    if (!svc) return this.finish({ ok: false, reason: `${this.name} was destroyed` });
    const st = svc.state;
    // the old pid is the service's process again: the reload fell back (or was abandoned)
    if (st === "running" && svc.pid === this.oldPid) {
      return this.finish({ ok: false, reason: `${this.name}: reload failed (${svc.reloadFailed || "the new generation did not start"}); pid ${svc.pid} keeps running` });
    }
    if (st === "running") {
      const older = svc.older;
      if (older === null) {
        this.w.progress(this.retiring === null ? `${this.name}: pid ${svc.pid} running` : `${this.name}: pid ${this.retiring} has stopped, pid ${svc.pid} serves alone`);
        return this.finish({ ok: true });
      }
      if (older.retiring && this.retiring === null) {
        this.retiring = older.pid;
        this.w.progress(`${this.name}: pid ${svc.pid} running, stopping pid ${older.pid}`);
        this.arm(svc.props.stopwait_secs * 1000 + RETIRE_GRACE_MS, () => this.finish({ ok: false, reason: `${this.name}: old pid ${older.pid} did not stop` }));
      }
      return;
    }
    if (st === "stopped" || st === "fail" || st === "fatal" || st === "backoff") {
      this.finish({ ok: false, reason: `${this.name} is ${svc.stateText}` });
    }
  }

  /** Stop following: the roll was cancelled (a reload still starting is abandoned). */
  cancel(reason: string): void {
    if (this.settled) return;
    this.abandon(reason);
    this.finish({ ok: false, reason: `${this.name}: ${reason}` });
  }

  private late(reason: string): void {
    const svc = this.w.get(this.name);
    const where = svc ? ` (${svc.stateText})` : "";
    this.abandon(reason);
    this.finish({ ok: false, reason: reason + where });
  }

  /** A reload whose new generation still starts: back to the old one. */
  private abandon(reason: string): void {
    const svc = this.w.get(this.name);
    if (svc?.older && !svc.older.retiring) svc.dispatch({ kind: "abandonReload", reason });
  }

  private arm(ms: number, fire: () => void): void {
    this.cancelTimer?.();
    this.cancelTimer = this.w.clock.after(ms, fire);
  }

  private finish(o: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.onDone(this, o);
  }
}
