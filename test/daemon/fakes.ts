/**
 * Fakes of the daemon's OS seams for in-process tests of logic: a clock
 * whose time moves only when the test says, a spawner whose processes are
 * records, signals that reach those records, and a log that keeps events.
 * The real spawner and the fake pass the same contract (spawner.contract.test.ts).
 */
import type { Clock } from "../../src/daemon/os/clock.ts";
import type { Child, ExitHandler, SpawnRequest, Spawner } from "../../src/daemon/os/spawner.ts";
import { SIGCONT, signalProcess, type Signals } from "../../src/daemon/os/signals.ts";
import type { DaemonLog } from "../../src/daemon/logging/types.ts";
import { Tail } from "../../src/daemon/logging/tail.ts";

type Timer = { at: number; seq: number; fn: () => void };

export class FakeClock implements Clock {
  now = 1_000_000_000_000; // ms
  private timers = new Set<Timer>();
  private seq = 0;

  nowSecs = () => Math.floor(this.now / 1000);
  nowMs = () => this.now;
  after = (ms: number, fn: () => void) => {
    const t = { at: this.now + ms, seq: this.seq++, fn };
    this.timers.add(t);
    return () => void this.timers.delete(t);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** Move time forward by ms, firing each timer due on the way, in order, at its own time. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = [...this.timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next);
      this.now = next.at;
      next.fn();
    }
    this.now = end;
  }

  /** Fire the earliest timer (time jumps to it); false when none is armed. */
  next(): boolean {
    const t = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (!t) return false;
    this.advance(t.at - this.now);
    return true;
  }
}

export type FakeProcess = {
  pid: number;
  req: SpawnRequest;
  /** when it was spawned, on the fake clock (ms) */
  at: number;
  /** signals it does not die of (it still records them) */
  ignores: Set<number>;
  exited: boolean;
  exit(code: number | null, signal: number | null): void;
};

/**
 * A spawner of pretend processes. `sh -c "exit N"` ends by itself with N
 * (asynchronously, like the real one); anything else runs until a signal
 * it does not ignore; a program under /nonexistent/ fails to spawn (ENOENT).
 */
export class FakeSpawner {
  readonly procs: FakeProcess[] = [];
  private nextPid = 10_000;
  /** which signals a new process ignores (e.g. [15]: it must be killed; add 9 for one stuck in the kernel) */
  ignore: number[] = [];

  constructor(private readonly clock: { nowMs(): number } = { nowMs: () => Date.now() }) {}

  readonly spawn: Spawner = (req: SpawnRequest, onExit: ExitHandler): Child => {
    const prog = req.argv[0]!;
    if (prog.startsWith("/nonexistent/")) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, posix_spawn '${prog}'`), { code: "ENOENT" });
    }
    const p: FakeProcess = {
      pid: this.nextPid++,
      req,
      at: this.clock.nowMs(),
      ignores: new Set(this.ignore),
      exited: false,
      exit: (code, signal) => {
        if (p.exited) return;
        p.exited = true;
        onExit(code, signal);
      },
    };
    this.procs.push(p);
    const m = req.argv[0] === "sh" && req.argv[1] === "-c" ? /^exit (\d+)$/.exec(req.argv[2] ?? "") : null;
    if (m) queueMicrotask(() => p.exit(Number(m[1]), null));
    return { pid: p.pid, warnings: [], stdout: null, stderr: null, channels: [] };
  };

  /** Signals that reach these processes; every send is recorded as [target, signal]. */
  readonly sent: [number, number][] = [];
  readonly signals: Signals = {
    send: (target, signal) => {
      this.sent.push([target, signal]);
      const p = this.procs.find((x) => x.pid === Math.abs(target) && !x.exited);
      if (!p) return false;
      // SIGCONT continues a process (its default action); every other signal not ignored ends it
      if (signal !== SIGCONT && !p.ignores.has(signal)) queueMicrotask(() => p.exit(null, signal));
      return true;
    },
    process: (pid, signal, groupLeader) => signalProcess(pid, signal, groupLeader, this.signals.send),
  };

  get last(): FakeProcess {
    return this.procs.at(-1)!;
  }
}

/** A log that keeps the daemon's events as "level message" lines. */
export function fakeLog(): DaemonLog & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    event: (level, message) => void events.push(`${level} ${message}`),
    serviceLine: () => undefined,
    proxyLine: () => undefined,
    capture: async () => {},
    tail: new Tail(),
    flush: async () => {},
  };
}

/** Let queued microtasks (fake exits, signal deliveries) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
