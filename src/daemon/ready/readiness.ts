/**
 * A service's readiness and health, between its spawn and its end
 * (docs/readiness.md): it opens what the `ready` protocol needs (a ready
 * fd, a notify socket), runs the probes, watches the log lines and the
 * watchdog, and tells the life cycle with `ready` and `unhealthy` events.
 * It keeps the facts status shows: what a starting service waits for, the
 * last probe's result, the service's own STATUS=.
 *
 * Races handled: a probe that answers after the process ended or after a
 * newer start (each start has its own generation; stale answers are
 * dropped); a probe slower than its interval (the next one waits for it:
 * never two at once); a ready fd closed without a newline, or flooded with
 * garbage (only the first newline counts, the rest is discarded); notify
 * messages from other processes (ignored, logged once per start).
 */
import type { Socket } from "node:net";
import type { Clock } from "../os/clock.ts";
import type { Signals } from "../os/signals.ts";
import type { Child, SpawnRequest, Spawner } from "../os/spawner.ts";
import type { DaemonLog } from "../logging/types.ts";
import type { ServiceState } from "../../protocol/status.ts";
import type { Event } from "../service/machine.ts";
import type { ReadyProps, Probe } from "./spec.ts";
import { isProbe, waitingText } from "./spec.ts";
import { runProbe } from "./probes.ts";
import { fromService, parseNotify, type NotifyHub, type NotifySocket } from "./notify.ts";

/** The service as readiness sees it. */
export type ReadyTarget = {
  readonly name: string;
  readonly props: ReadyProps;
  readonly pid: number | null;
  readonly state: ServiceState;
  dispatch(ev: Event): string | null;
};

export type ReadyWorld = { clock: Clock; spawner: Spawner; signals: Signals; log: DaemonLog; notify?: NotifyHub };

/** What status shows of it (wire extras, JSON). */
export type ReadyFacts = {
  /** what a starting service waits for, or "" */
  waiting: string;
  /** the last probe's result: "ok" or why it failed; "" when none ran */
  probe: string;
  /** the service's own STATUS= (notify) */
  status: string;
};

export class Readiness {
  private gen = 0;
  private stopProbe: (() => void) | null = null;
  private readyPipe: Socket | null = null;
  private notifySock: NotifySocket | null = null;
  private watchdog: { usec: number; cancel: (() => void) | null } | null = null;
  private env: Record<string, string> = {};
  private cwd = "/";
  private warnedStranger = false;
  private lineBuf = "";
  probe = "";
  statusText = "";
  note = "";

  constructor(
    private readonly svc: ReadyTarget,
    private readonly world: ReadyWorld,
  ) {}

  /** Add what the ready protocol needs to a direct spawn; a string is why it cannot start. */
  prepare(req: SpawnRequest): string | null {
    this.end();
    const r = this.svc.props.ready;
    this.env = req.env;
    this.cwd = req.cwd ?? "/";
    if (r.kind === "fd") req.readyFd = r.fd;
    if (r.kind === "notify") {
      if (!this.world.notify) return "ready=notify: no notify directory";
      const gen = this.gen;
      const s = this.world.notify.open(this.svc.name, (d) => {
        if (gen !== this.gen) return;
        if (!fromService(d, this.svc.pid)) return this.stranger(d.pid);
        this.onNotify(d.text);
      });
      if (typeof s === "string") return s;
      this.notifySock = s;
      req.env = { ...req.env, NOTIFY_SOCKET: s.path };
    }
    return null;
  }

  /** The direct driver spawned it: listen on the ready fd. */
  spawned(child: Child): void {
    const pipe = child.ready;
    if (!pipe) return;
    this.readyPipe = pipe;
    const gen = this.gen;
    let said = false;
    pipe.on("data", (d: Buffer) => {
      if (said || gen !== this.gen) return;
      if (d.includes(0x0a)) {
        said = true;
        this.ready("ready fd");
        pipe.destroy(); // nothing more to read; a flood stops here
      }
    });
    pipe.on("end", () => {
      if (!said && gen === this.gen) this.note = "ready fd closed without a newline";
      pipe.destroy();
    });
    pipe.on("error", () => pipe.destroy());
  }

  /** A spawn happened (direct or by a proxy): start polling a ready probe. */
  launched(): void {
    this.probe = "";
    this.note = "";
    const r = this.svc.props.ready;
    if (isProbe(r)) this.poll(r, this.svc.props.ready_interval_secs, 1, (passed) => passed && this.ready(r.kind));
  }

  /** `log:REGEX`: raw output, split into lines here; false once nothing more is wanted. */
  output(chunk: string): boolean {
    const r = this.svc.props.ready;
    if (r.kind !== "log" || this.svc.state !== "starting") return false;
    const lines = (this.lineBuf + chunk).split("\n");
    this.lineBuf = (lines.pop() ?? "").slice(-4096); // a line without end cannot grow for ever
    if (lines.some((l) => r.regex.test(l))) this.ready("log line");
    return this.svc.state === "starting";
  }

  /** `command ready service NAME`. */
  commandReady(): string | null {
    if (this.svc.props.ready.kind !== "command") return `service '${this.svc.name}' is not ready=command`;
    if (this.svc.state !== "starting") return `service '${this.svc.name}' is not starting`;
    this.ready("command ready");
    return null;
  }

  /** The machine moved: start health checks when running, end everything when down. */
  stateChanged(to: ServiceState): void {
    if (to === "running") {
      this.stopProbes();
      this.closePipe();
      const h = this.svc.props.health;
      if (h) this.poll(h, this.svc.props.health_interval_secs, this.svc.props.health_failures, () => {}, true);
    } else if (to === "stopping") {
      this.stopProbes();
      this.closePipe();
      this.stopWatchdog();
    } else if (to !== "starting") {
      this.end();
    }
  }

  facts(held: string | null): ReadyFacts {
    let waiting = "";
    if (this.svc.state === "starting") {
      if (held) waiting = `waiting for ${held}`;
      else if (this.note) waiting = this.note;
      else if (this.probe && this.probe !== "ok") waiting = this.probe;
      else waiting = waitingText(this.svc.props.ready);
    }
    return { waiting, probe: this.probe, status: this.statusText };
  }

  /** Close and stop everything of the current process. */
  end(): void {
    this.gen++;
    this.stopProbes();
    this.closePipe();
    this.stopWatchdog();
    this.notifySock?.close();
    this.notifySock = null;
    this.warnedStranger = false;
    this.lineBuf = "";
  }

  private ready(how: string): void {
    if (this.svc.state !== "starting") return;
    this.world.log.event("debug", `${this.svc.name}: ready (${how})`, this.svc.pid);
    this.svc.dispatch({ kind: "ready" });
  }

  /**
   * Poll a probe every `secs`, one attempt at a time; `onResult(passed)`
   * after each. As a health check, `failures` failures in a row make the
   * service unhealthy; as a ready probe, polling stops at the first pass.
   */
  private poll(p: Probe, secs: number, failures: number, onResult: (passed: boolean) => void, health = false): void {
    this.stopProbes();
    const gen = this.gen;
    let failed = 0;
    let cancelled = false;
    let cancelTimer: (() => void) | null = null;
    const timeoutMs = Math.max(1000, Math.min(secs * 1000, 10_000));
    const attempt = async () => {
      cancelTimer = null;
      const r = await runProbe(p, { spawner: this.world.spawner, signals: this.world.signals, env: this.env, cwd: this.cwd, timeoutMs });
      if (cancelled || gen !== this.gen) return;
      this.probe = r ?? "ok";
      onResult(r === null);
      if (r === null) {
        failed = 0;
        if (!health) return;
      } else if (health && ++failed >= failures) {
        this.stopProbes();
        this.svc.dispatch({ kind: "unhealthy", reason: `health check failed: ${r}` });
        return;
      }
      if (!cancelled) cancelTimer = this.world.clock.after(secs * 1000, () => void attempt());
    };
    cancelTimer = this.world.clock.after(health ? secs * 1000 : 0, () => void attempt());
    this.stopProbe = () => {
      cancelled = true;
      cancelTimer?.();
    };
  }

  private stopProbes(): void {
    this.stopProbe?.();
    this.stopProbe = null;
  }

  private closePipe(): void {
    this.readyPipe?.destroy();
    this.readyPipe = null;
  }

  private onNotify(text: string): void {
    const m = parseNotify(text);
    if (m.status !== undefined) this.statusText = m.status;
    if (m.stopping) this.note = "STOPPING=1";
    if (m.reloading) this.statusText = this.statusText || "reloading";
    if (m.mainPid !== undefined) this.world.log.event("info", `${this.svc.name}: MAINPID=${m.mainPid} (cfkd keeps supervising pid ${this.svc.pid})`, this.svc.pid);
    if (m.watchdogUsec !== undefined) this.watchdog = { usec: m.watchdogUsec, cancel: null };
    if (m.watchdog === "trigger") return void this.svc.dispatch({ kind: "unhealthy", reason: "watchdog triggered (WATCHDOG=trigger)" });
    if (this.watchdog && (m.watchdog === "ping" || m.watchdogUsec !== undefined)) this.armWatchdog();
    if (m.ready) this.ready("READY=1");
  }

  private armWatchdog(): void {
    const w = this.watchdog!;
    w.cancel?.();
    const gen = this.gen;
    w.cancel = this.world.clock.after(w.usec / 1000, () => {
      if (gen !== this.gen) return;
      w.cancel = null;
      this.svc.dispatch({ kind: "unhealthy", reason: `watchdog timeout: no WATCHDOG=1 within ${w.usec / 1e6}s` });
    });
  }

  private stopWatchdog(): void {
    this.watchdog?.cancel?.();
    this.watchdog = null;
  }

  private stranger(pid: number): void {
    if (this.warnedStranger) return;
    this.warnedStranger = true;
    this.world.log.event("warn", `${this.svc.name}: ignoring a notify message from pid ${pid}, not one of the service's processes`, this.svc.pid);
  }
}
