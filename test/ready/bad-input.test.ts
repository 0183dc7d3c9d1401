/**
 * Issue 14, bad input: each bad readiness value is refused at declaration
 * with a clear error, and the service keeps its previous settings. In
 * process: the controller with the real clock and spawner (nothing starts).
 */
import { expect, test } from "bun:test";
import { Controller } from "../../src/daemon/controller.ts";
import { parseRequest } from "../../src/protocol/request.ts";
import { systemClock } from "../../src/daemon/os/clock.ts";
import { bunSpawner } from "../../src/daemon/os/spawner.ts";
import { osSignals } from "../../src/daemon/os/signals.ts";
import { Tail } from "../../src/daemon/logging/tail.ts";
import type { DaemonLog } from "../../src/daemon/logging/types.ts";

const log: DaemonLog = { event() {}, serviceLine: () => undefined, proxyLine: () => undefined, capture: async () => {}, tail: new Tail(), flush: async () => {} };

function controller(): Controller {
  return new Controller({
    spawner: bunSpawner,
    signals: osSignals,
    clock: systemClock,
    log,
    random: Math.random,
    version: "test",
    prepare: () => "not here",
    prepareProxy: () => "not here",
    requestShutdown() {},
  });
}

const BAD: [string, string][] = [
  ["ready=fd:1", "invalid value: ready: fd:1 is the service's stdout; use fd:3 or above"],
  ["ready=fd:2", "invalid value: ready: fd:2 is the service's stderr; use fd:3 or above"],
  ["ready=fd:0", "invalid value: ready: fd:0 is the service's stdin; use fd:3 or above"],
  ["ready=fd:x", "invalid value: ready: 'fd:x' is not fd:N"],
  ["ready=fd:3", "invalid value: ready=fd:3 clashes with listen_fds (they are at fds 3 to 4)"],
  ["ready=log:([a-z]", "invalid value: ready: invalid regular expression /([a-z]/: missing )"],
  ["ready=ftp://example.com/", "invalid value: ready: 'ftp://example.com/' is not one of startwait, fd:N, notify, tcp:HOST:PORT, http:URL, exec:CMD, log:REGEX or command"],
  ["health=http:ftp://x/", "invalid value: health: 'ftp://x/' is not an http or https URL"],
  ["ready=tcp:localhost:99999", "invalid value: ready: 'tcp:localhost:99999' is not tcp:HOST:PORT (port 1-65535)"],
  ["ready_interval_secs=soon", "invalid value: ready_interval_secs: 'soon' is not a number of seconds (more than 0, at most 86400)"],
  ["ready_timeout_secs=-1", "invalid value: ready_timeout_secs: '-1' is not a number of seconds (more than 0, at most 86400)"],
  ["health_interval_secs=0", "invalid value: health_interval_secs: '0' is not a number of seconds (more than 0, at most 86400)"],
  ["health_failures=0", "invalid value: health_failures: '0' is not a whole number of at least 1"],
  ["after=svc", "invalid value: after: 'svc' cannot come after itself"],
  ["after=@", "invalid value: after: '@' is not a service name or @tag"],
];

test.each(BAD)("service svc %s is refused, the old settings stay", (assign, error) => {
  const c = controller();
  for (const ok of ["cmd=sleep 1", "listen_fds=a,b", "ready=notify", "health=tcp:127.0.0.1:1", "after=db"]) {
    expect(c.execute(parseRequest(`service svc ${ok}`)).error).toBeUndefined();
  }
  const before = c.execute(parseRequest("command desc service svc")).body;
  expect(c.execute(parseRequest(`service svc ${assign}`)).error).toBe(error);
  expect(c.execute(parseRequest("command desc service svc")).body).toEqual(before);
  expect(before[0]).toContain("\tready=notify\thealth=tcp:127.0.0.1:1\thealth_interval_secs=10\thealth_failures=3\tafter=db");
});

test("ready=fd|notify|log under a proxy is refused; probes and command are fine", () => {
  const c = controller();
  expect(c.execute(parseRequest("proxy p service s ready=fd:3")).error).toBe("invalid value: ready=fd is not available to a service run by a proxy");
  expect(c.execute(parseRequest("proxy p service s ready=command")).error).toBeUndefined();
  expect(c.execute(parseRequest("service s ready=notify")).error).toBe("invalid value: ready=notify is not available to a service run by a proxy");
});

test("a service without the new properties has the original 8 status fields and 5 desc fields", () => {
  const c = controller();
  c.execute(parseRequest("service plain cmd=sleep 1"));
  expect(c.execute(parseRequest("command status service plain")).body[0]!.split("\t")).toHaveLength(8);
  expect(c.execute(parseRequest("command desc service plain")).body[0]!.split("\t")).toHaveLength(5);
});

test("cfkctl's renderers: the starting line says what it waits for; desc shows the settings; JSON carries ready", async () => {
  const { statusFromWire, descFromWire } = await import("../../src/protocol/status.ts");
  const { statusLine, descLine } = await import("../../src/cli/render.ts");
  const s = statusFromWire("web\tstarting\t\t100\t\t\t\t\tready=0\twaiting=waiting for db");
  expect(s).toMatchObject({ name: "web", state: "starting", running_cmd: "", ready: false, waiting: "waiting for db" });
  expect(statusLine(s, { nowMs: 100_000, offset: () => 0 }, false, () => "when")).toBe("starting web                  when  waiting for db");
  const plain = statusFromWire("x\trunning\t1\t100\t\t\t\tsleep 1");
  expect(plain.ready).toBeUndefined();
  expect(JSON.stringify(plain)).not.toContain("ready");
  const d = descFromWire("web\t\t\t\tsleep 1\tready=fd:3\tafter=db");
  expect(descLine(d)).toBe('web: cmd="sleep 1" ready="fd:3" after="db"');
});
