/**
 * `on_change` hooks (docs/events.md): a command run on each state change of
 * a service, with the change in its environment (CFK_EVENT_SERVICE, _FROM,
 * _TO, _REASON, _PID, _TIME), through the spawner seam like any process.
 *
 * - The service's `on_change` wins; else cfkd's `--on-change`; else nothing.
 * - At most one hook runs per service at a time. Changes that arrive
 *   meanwhile queue (in order, up to MAX_QUEUED; beyond that the oldest
 *   waiting one is dropped and the drop is logged), so every hook sees
 *   every change of a service that does not flap faster than its hook runs.
 * - A hook that outlives `on_change_timeout_secs` is killed (SIGKILL to its
 *   process group: it runs in its own session) and logged.
 * - Its stdout and stderr are logged line by line (INFO, WARN), at most
 *   MAX_OUTPUT bytes a run; a failure is logged and changes nothing else.
 * - At shutdown (`finish`), the hooks of the last changes get a short time
 *   to end; then what is left is killed, so that no hook outlives cfkd.
 */
import type { Change, Changes } from "./changes.ts";
import type { Clock } from "./os/clock.ts";
import type { Child, SpawnRequest, Spawner } from "./os/spawner.ts";
import { SIGKILL, type Signals } from "./os/signals.ts";
import type { DaemonLog, Level } from "./logging/types.ts";
import { exitReason } from "./service/machine.ts";

/** changes that may wait for one service's hook */
export const MAX_QUEUED = 100;
/** bytes of a hook's output logged per run and stream */
const MAX_OUTPUT = 16 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
/** at shutdown, how long the hooks of the last changes may still run */
const SHUTDOWN_GRACE_MS = 2000;

export type HookOptions = {
  spawner: Spawner;
  signals: Signals;
  clock: Clock;
  log: DaemonLog;
  /** the hooks' base environment (cfkd's own, with CFKD_HOME) */
  env: Record<string, string>;
  cwd: string;
  /** `cfkd --on-change CMD`, else null */
  daemonHook: string | null;
  /** the service's on_change and its timeout; null when there is no such service (any more) */
  service(name: string): { cmd: string | null; timeoutMs: number } | null;
};

type Lane = { queue: Change[]; dropped: number; pid: number | null };

export class Hooks {
  /** services whose hook is running, with what waits for it */
  private lanes = new Map<string, Lane>();

  constructor(
    changes: Changes,
    private readonly o: HookOptions,
  ) {
    changes.subscribe((c) => this.onChange(c));
  }

  /** hooks running now */
  get running(): number {
    return this.lanes.size;
  }

  private onChange(c: Change): void {
    if (this.closing || this.hookFor(c.name) === null) return;
    const lane = this.lanes.get(c.name);
    if (!lane) {
      this.lanes.set(c.name, { queue: [], dropped: 0, pid: null });
      this.run(c);
      return;
    }
    lane.queue.push(c);
    if (lane.queue.length > MAX_QUEUED) {
      lane.queue.shift();
      lane.dropped++;
    }
  }

  private hookFor(name: string): { cmd: string; timeoutMs: number } | null {
    const s = this.o.service(name);
    const cmd = s?.cmd ?? this.o.daemonHook;
    return cmd === null ? null : { cmd, timeoutMs: s?.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  }

  private run(c: Change): void {
    const hook = this.hookFor(c.name);
    if (hook === null) return this.next(c.name);
    const say = (level: Level, text: string, pid?: number) => this.o.log.event(level, `on_change hook of ${c.name}: ${text}`, pid);
    const env = {
      ...this.o.env,
      CFK_EVENT_SERVICE: c.name,
      CFK_EVENT_FROM: c.from,
      CFK_EVENT_TO: c.to,
      CFK_EVENT_REASON: c.reason,
      CFK_EVENT_PID: c.pid === null ? "" : String(c.pid),
      CFK_EVENT_TIME: new Date(c.at).toISOString(),
    };
    let child: Child;
    let timedOut = false;
    let cancel = () => {};
    try {
      const req: SpawnRequest = { argv: ["/bin/sh", "-c", hook.cmd], env, cwd: this.o.cwd, newSession: true, stdin: "ignore", stdout: "pipe", stderr: "pipe" };
      child = this.o.spawner(req, (code, signal) => {
        cancel();
        if (timedOut) say("warn", `killed after on_change_timeout_secs=${hook.timeoutMs / 1000}`, child.pid);
        else if (code !== 0) say("warn", `failed: ${exitReason(code, signal)}`, child.pid);
        this.next(c.name);
      });
    } catch (e) {
      say("error", `cannot run '${hook.cmd}': ${(e as Error).message}`);
      // never synchronously from inside a change: the queue moves on next tick
      queueMicrotask(() => this.next(c.name));
      return;
    }
    const lane = this.lanes.get(c.name);
    if (lane) lane.pid = child.pid;
    cancel = this.o.clock.after(hook.timeoutMs, () => {
      timedOut = true;
      this.o.signals.process(child.pid, SIGKILL, true);
    });
    if (child.stdout) void logLines(child.stdout, (l) => say("info", l, child.pid));
    if (child.stderr) void logLines(child.stderr, (l) => say("warn", l, child.pid));
  }

  /**
   * cfkd is stopping: wait until no hook runs or `graceMs` passed (the hooks
   * of the services' last changes are usually quick), then kill the rest.
   */
  async finish(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.lanes.size > 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.o.clock.after(graceMs, done);
        this.idle = done;
        function done() {
          cancel();
          resolve();
        }
      });
    }
    this.closing = true;
    for (const [name, lane] of this.lanes) {
      lane.queue = [];
      if (lane.pid !== null) {
        this.o.log.event("warn", `on_change hook of ${name}: killed, cfkd is stopping`, lane.pid);
        this.o.signals.process(lane.pid, SIGKILL, true);
      }
    }
  }

  private closing = false;
  private idle: (() => void) | null = null;

  /** The service's hook is done: run the next change waiting for it. */
  private next(name: string): void {
    const lane = this.lanes.get(name);
    if (!lane) return;
    lane.pid = null;
    if (lane.dropped > 0) {
      this.o.log.event("warn", `on_change hook of ${name}: ${lane.dropped} change(s) dropped, more than ${MAX_QUEUED} waited for the hook`);
      lane.dropped = 0;
    }
    const c = lane.queue.shift();
    if (c !== undefined && !this.closing) return this.run(c);
    this.lanes.delete(name);
    if (this.lanes.size === 0) this.idle?.();
  }
}

/** Hand each line of a hook's output to `line`, up to MAX_OUTPUT bytes; the rest is read and dropped. */
async function logLines(from: ReadableStream<Uint8Array>, line: (text: string) => void): Promise<void> {
  const dec = new TextDecoder();
  let buf = "";
  let bytes = 0;
  try {
    for await (const chunk of from) {
      if (bytes >= MAX_OUTPUT) continue;
      bytes += chunk.byteLength;
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (bytes >= MAX_OUTPUT) {
        if (buf) line(buf);
        buf = "";
        line(`(output beyond ${MAX_OUTPUT} bytes not logged)`);
      }
    }
  } catch {
    /* the pipe broke: nothing more to log */
  }
  if (buf) line(buf);
}
