/**
 * Shared set-up for the in-process tests of the life cycle and the
 * controller: one service config and world for step(), and a controller
 * wired to the fake clock and spawner (fakes.ts), so each test file does
 * not carry its own copy.
 */
import type { Config, Effect } from "../../src/daemon/service/machine.ts";
import { Controller } from "../../src/daemon/controller.ts";
import { parseRequest } from "../../src/protocol/request.ts";
import { statusFromWire } from "../../src/protocol/status.ts";
import type { Reply } from "../../src/protocol/framing.ts";
import { FakeClock, FakeSpawner, fakeLog } from "./fakes.ts";

/** Service "s" with the defaults the machine tests reason about (startwait 1 s, stopwait 2 s, 3 retries). */
export const baseConfig: Config = {
  name: "s",
  hasCmd: true,
  startwaitMs: 1000,
  stopwaitMs: 2000,
  respawnOnFail: true,
  respawnOnStop: false,
  maxRetries: 3,
  stopSignal: 15,
  blocked: null,
  respawnDelayMaxMs: 300_000,
  stableMs: 60_000,
  maxRestarts: 5,
  restartWindowMs: 60_000,
  fatalRetryMs: 0,
};

export const world = { now: 1000, nowMs: 1_000_000, random: () => 0 };

/** Effects as short names ("arm:startwait", "spawn"), the log lines left out. */
export const kinds = (e: Effect[]) => e.map((x) => (x.kind === "arm" || x.kind === "cancel" ? `${x.kind}:${x.timer}` : x.kind)).filter((k) => k !== "log");

/** A controller on a fake clock and spawner; `run` throws on an error reply, `execute` returns the reply. */
export function fakeController(random: () => number = () => 0) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner(clock);
  const log = fakeLog();
  const c = new Controller({
    spawner: spawner.spawn,
    signals: spawner.signals,
    clock,
    log,
    random,
    version: "test",
    prepare: (svc, argv) => ({ argv, env: {}, newSession: !svc.props.no_new_session, stdin: "ignore", stdout: "ignore", stderr: "ignore" }),
    prepareProxy: () => "no proxies here",
    requestShutdown: () => {},
  });
  const execute = (line: string): Reply => c.execute(parseRequest(line));
  const run = (line: string) => {
    const r = execute(line);
    if (r.error !== undefined) throw new Error(`${line}: ${r.error}`);
    return r.body;
  };
  const status = (name: string) => statusFromWire(run(`command status service ${name}`)[0]!);
  return { clock, spawner, log, c, execute, run, status };
}
