/**
 * Issue 13, acceptance 1: `status` says why a service is down (a missing
 * program, a bad cwd, a crash), `status -l` how often cfkd restarted it, and
 * `start` of a program that cannot be spawned is an error with the reason.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DaemonProcess, waitFor } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";

let d: DaemonProcess;
const run = (argv: string[]) => cfkctl(["--address", `unix:${d.sock}`, ...argv], fakeIo());

beforeAll(async () => {
  d = await DaemonProcess.start();
  await cfkctl(["--address", `unix:${d.sock}`, "load", "-"], fakeIo({
    stdin: [
      "service missing cmd=no-such-program-cfk --flag",
      "service missing respawn_max_retries=1",
      "service badcwd cmd=sleep 100",
      "service badcwd cwd=/no/such/dir",
      "service badcwd respawn_on_fail=0",
      "service crash cmd=sleep 0.2; exit 3",
      "service crash startwait_secs=0.05",
      "service dies cmd=sleep 0.1; exit 4",
      "service dies startwait_secs=0.05",
      "service dies respawn_on_fail=0",
      "service ok cmd=sleep 100",
      "",
    ].join("\n"),
  }));
});
afterAll(async () => {
  await d?.[Symbol.asyncDispose]();
});

test("start of a program that cannot be spawned: exit 1 with the reason, and status says it on the line", async () => {
  const r = await run(["start", "missing"]);
  expect(r.code).toBe(1);
  expect(r.err).toEqual(['error: cannot start missing: Executable not found in $PATH: "no-such-program-cfk"']);
  const st = await run(["status", "missing"]);
  // the original's columns, then the reason
  expect(st.out[0]).toMatch(/^fatal    missing +\d+ seconds ago \(.*\)  Executable not found in \$PATH: "no-such-program-cfk"$/);
});

test("a bad cwd: up exits 1, the line says which directory", async () => {
  const r = await run(["up", "badcwd"]);
  expect(r.code).toBe(1);
  expect(r.err).toEqual(["error: cannot start badcwd: cwd /no/such/dir: no such directory"]);
  expect((await run(["status", "badcwd"])).out[0]).toMatch(/^fail     badcwd .*\)  cwd \/no\/such\/dir: no such directory$/);
});

test("a start that works is quiet and exits 0, even next to one that fails", async () => {
  const r = await run(["start", "ok"]);
  expect(r).toMatchObject({ code: 0, err: [] });
  const both = await run(["restart", "ok", "missing"]);
  expect(both.code).toBe(1);
  expect(both.err).toEqual(['error: cannot start missing: Executable not found in $PATH: "no-such-program-cfk"']);
});

test("a crashing service: the reason on its line while down, the restart count moves in status -l", async () => {
  expect((await run(["start", "crash"])).code).toBe(0);
  const restarts = async () => {
    const j = JSON.parse((await run(["--json", "status", "-l", "crash"])).out.join("\n"));
    return j[0].restarts as number;
  };
  await waitFor(async () => (await restarts()) >= 2, "two restarts", 8000);
  const long = await run(["status", "-l", "crash"]);
  expect(long.code).toBe(0);
  expect(long.out.join("\n")).toMatch(/restarts [2-9]/);
  expect(long.out.join("\n")).toContain("cmd: sleep 0.2; exit 3");
  expect(long.out.join("\n")).toMatch(/last failure: Exited with error 3, \d+s ago|why: Exited with error 3/);
  await run(["stop", "crash"]);
  // one that stays down after its crash says why on the plain line
  expect((await run(["start", "dies"])).code).toBe(0);
  await waitFor(async () => /^fail     dies .*\)  Exited with error 4$/.test((await run(["status", "dies"])).out[0] ?? ""), "fail line with reason", 8000);
});

test("status -l of a running service: pid, uptime, memory and CPU of its processes", async () => {
  const pid = Number((await run(["pid", "ok"])).out[0]);
  const long = (await run(["status", "-l", "ok"])).out.join("\n");
  expect(long).toContain(`pid ${pid}, up `);
  expect(long).toMatch(/memory \d+\.\d MiB, cpu \d+\.\d\d s in 1 process \(\d+\)/);
  const j = JSON.parse((await run(["--json", "status", "--long", "ok"])).out.join("\n"))[0];
  expect(j).toMatchObject({ name: "ok", state: expect.stringMatching(/starting|running/), pid, restarts: 0, processes: [pid], cmd: "sleep 100" });
  expect(j.rss_kib).toBeGreaterThan(0);
  // plain --json keeps the eight wire fields
  expect(Object.keys(JSON.parse((await run(["--json", "status", "ok"])).out.join("\n"))[0]).length).toBe(8);
});
