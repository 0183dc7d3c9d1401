/**
 * cfkctl run in-process against a real cfkd (a subprocess in a temp home):
 * every command's output, --json, load, addresses, and every exit code.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, tempDir, waitFor, alive, BUN, CFKD } from "../harness.ts";
import { cfkctl, fakeIo } from "./fake-io.ts";

let d: DaemonProcess;
let addr: string;
const run = (argv: string[], opts: Parameters<typeof fakeIo>[0] = {}) => cfkctl(["--address", addr, ...argv], fakeIo(opts));

beforeAll(async () => {
  d = await DaemonProcess.start();
  addr = `unix:${d.sock}`;
});
afterAll(async () => {
  await d?.[Symbol.asyncDispose]();
});

describe("against a real cfkd", () => {
  test("load -, start, status, pid, pids, desc, list, version", async () => {
    const conf = "service q1 cmd=sleep 100\nservice q1 tags=qq,prod\nservice q1 desc=first one\nservice q2 cmd=sleep 100\nservice q2 tags=qq\n";
    expect((await run(["load", "-"], { stdin: conf })).code).toBe(0);
    const before = await run(["status", "@qq"]);
    expect(before.out.map((l) => l.trimEnd())).toEqual(["stopped  q1", "stopped  q2"]);
    expect((await run(["start", "@qq"])).code).toBe(0);
    const st = await run(["status", "q1"]);
    expect(st.out[0]).toMatch(/^(starting|running) +q1 +\d+ seconds ago \(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\)$/);
    const pid = await run(["pid", "q1"]);
    expect(pid.code).toBe(0);
    expect(pid.out).toHaveLength(1);
    expect(alive(Number(pid.out[0]))).toBe(true);
    const pids = await run(["pids", "@qq"]);
    expect(pids.out).toHaveLength(2);
    expect(pids.out[0]).toBe(`q1: ${pid.out[0]}`);
    expect((await run(["desc", "q1"])).out).toEqual(['q1: tags="prod, qq" desc="first one" cmd="sleep 100"']);
    expect((await run(["list"])).out).toEqual(expect.arrayContaining(["q1", "q2"]));
    const v = await run(["version"]);
    expect(v.code).toBe(0);
    expect(v.out[0]).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(["stop", "@qq"])).code).toBe(0);
    await waitFor(async () => (await run(["status", "@qq"])).out.every((l) => l.startsWith("stopped ")), "q1, q2 stopped");
    expect((await run(["status", "q1"])).out[0]).toMatch(/^stopped +q1 +\d+ seconds ago \(/);
  });

  test("--json status: one object per service with the eight fields", async () => {
    await run(["load", "-"], { stdin: "service j1 cmd=sleep 100\nservice j1 tags=jj\nservice j2 cmd=sleep 100\nservice j2 tags=jj\n" });
    await run(["start", "j1"]);
    const r = await run(["--json", "status", "@jj"]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out.join("\n"));
    expect(list.map((s: { name: string }) => s.name)).toEqual(["j1", "j2"]);
    for (const s of list) {
      expect(Object.keys(s).sort()).toEqual(["fail_reason", "name", "pid", "proxy", "running_cmd", "start_time", "state", "stop_time"]);
    }
    expect(list[0]).toMatchObject({ state: expect.stringMatching(/starting|running/), pid: expect.any(Number), start_time: expect.any(Number), stop_time: null, running_cmd: "sleep 100" });
    expect(list[1]).toMatchObject({ state: "stopped", pid: null, start_time: null });
    const desc = JSON.parse((await run(["--json", "desc", "j1"])).out.join("\n"));
    expect(desc).toEqual([{ name: "j1", tags: ["jj"], desc: "", proxy: "", cmd: "sleep 100" }]);
    const pids = JSON.parse((await run(["--json", "pids", "@jj"])).out.join("\n"));
    expect(pids).toEqual([{ name: "j1", pid: list[0].pid }, { name: "j2", pid: null }]);
    expect(JSON.parse((await run(["--json", "list"])).out.join("\n"))).toEqual(expect.arrayContaining(["j1", "j2"]));
    await run(["down", "all"]);
  });

  test("exit 1 when cfkd answers an error, with its message on stderr", async () => {
    const start = await run(["start", "nosuch"]);
    // the original's "Couldn't find a valid service. bailing." says which reference (issue 13)
    expect(start).toMatchObject({ code: 1, out: [], err: ["error: no service matches 'nosuch'"] });
    expect(await run(["stop", "@nosuchtag"])).toMatchObject({ code: 1, err: ["error: no service matches '@nosuchtag'"] });
    expect(await run(["status", "nosuch"])).toMatchObject({ code: 1, err: ["error: unknown service 'nosuch'"] });
    expect(await run(["pid", "nosuch"])).toMatchObject({ code: 1, err: ["error: unknown service 'nosuch'"] });
    await run(["load", "-"], { stdin: "service idle cmd=sleep 100\n" });
    expect(await run(["pid", "idle"])).toMatchObject({ code: 1, out: [], err: [] }); // no pid: nothing, exit 1
    expect(await run(["stop", "idle"])).toMatchObject({ code: 1, err: ["error: Service 'idle' is already down"] });
    expect(await run(["down", "idle"])).toMatchObject({ code: 0, err: [] });
    expect(await run(["proxystatus"])).toMatchObject({ code: 0, err: [] }); // no proxy declared
  });

  test("several references: the others still run after one is refused; partial refusals are shown, exit 0", async () => {
    await run(["load", "-"], { stdin: "service m1 cmd=sleep 100\nservice m1 tags=mm\nservice m2 cmd=sleep 100\nservice m2 tags=mm\n" });
    await run(["start", "m1"]);
    const r = await run(["start", "m1", "m2"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(["error: Service 'm1' is already up"]);
    expect((await run(["status", "m2"])).out[0]).toMatch(/^(starting|running) /);
    await run(["stop", "m2"]);
    await waitFor(async () => (await run(["status", "m2"])).out[0]!.startsWith("stopped"), "m2 stopped");
    const tag = await run(["start", "@mm"]);
    expect(tag).toMatchObject({ code: 0, err: ["error: Service 'm1' is already up"] });
    await run(["down", "@mm"]);
  });

  test("exit 2 for usage errors, before anything is sent", async () => {
    for (const argv of [["frobnicate"], ["start"], ["pid"], ["list", "x"], ["status", "a b"], ["tail", "-n", "x"]]) {
      const r = await run(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err.join(" ")).toMatch(/^cfkctl: /);
    }
    const badAddr = await cfkctl(["--address", "host:port:x", "status"]);
    expect(badAddr.code).toBe(2);
    expect(badAddr.err[0]).toContain("invalid address");
  });

  test("exit 3 when cfkd cannot be reached, naming the address and suggesting cfkd", async () => {
    using t = tempDir();
    const r = await cfkctl(["--address", join(t.path, "sock"), "status"]);
    expect(r.code).toBe(3);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(`tried unix:${join(t.path, "sock")}`);
    expect(r.err[0]).toContain("is cfkd running?");
    expect(r.err[0]).toContain("cfkd -d");
    const tcp = await cfkctl(["--address", "127.0.0.1:1", "version"]);
    expect(tcp.code).toBe(3);
    expect(tcp.err[0]).toContain("tried 127.0.0.1:1");
  });

  test("the address: --address beats CFKD_ADDRESS beats the default; relative paths from the cwd", async () => {
    const env = await cfkctl(["version"], fakeIo({ env: { CFKD_ADDRESS: addr } }));
    expect(env.code).toBe(0);
    const both = await cfkctl(["--address", "/nonexistent/sock", "version"], fakeIo({ env: { CFKD_ADDRESS: addr } }));
    expect(both.code).toBe(3);
    const dflt = await cfkctl(["version"]);
    expect(dflt.err[0]).toContain("tried unix:/nonexistent-home/.controlfreak/sock");
    const rel = await cfkctl(["--address", "home/sock", "version"], fakeIo({ cwd: join(d.home, "..") }));
    expect(rel.code).toBe(0);
  });
});

describe("load", () => {
  test("${BASE} is --basedir, else the cwd; stops at the first error, FILE:LINE, nothing after it is sent", async () => {
    using t = tempDir();
    const file = join(t.path, "svc.conf");
    writeFileSync(file, "# services\n\nservice b1 cmd=${BASE}/bin/run\n");
    expect((await run(["load", file, "--basedir", "/srv/app"])).code).toBe(0);
    expect((await run(["desc", "b1"])).out).toEqual(['b1: cmd="/srv/app/bin/run"']);
    expect((await run(["load", file], { cwd: t.path })).code).toBe(0);
    expect((await run(["desc", "b1"])).out).toEqual([`b1: cmd="${t.path}/bin/run"`]);

    writeFileSync(file, "service b2 cmd=true\n\nservice b2 bogus=1\nservice after cmd=true\n");
    const r = await run(["load", file]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${file}:3: invalid property 'bogus'`]);
    expect((await run(["list"])).out).toContain("b2");
    expect((await run(["list"])).out).not.toContain("after");

    // the detail the wire leaves out: which property, what it allows
    const bad = await run(["load", "-"], { stdin: "service b4 cmd=true\nservice b4 respawn_on_fail=maybe\n" });
    expect(bad).toMatchObject({ code: 1, err: ["stdin:2: respawn_on_fail: invalid value 'maybe' (expected 0 or 1)"] });
    const stdin = await run(["load", "-"], { stdin: "service b3 cmd=true\nnonsense here\n" });
    expect(stdin).toMatchObject({ code: 1, err: ["stdin:2: unknown command 'nonsense'"] });
  });

  test("a file that cannot be read: exit 2, nothing sent", async () => {
    const r = await run(["load", "/nonexistent/file.conf"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^cfkctl: cannot read \/nonexistent\/file\.conf: /);
  });
});

test("TCP: --address host:port reaches a cfkd listening there", async () => {
  using t = tempDir();
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const proc = Bun.spawn([BUN, CFKD, "--home", join(t.path, "home"), "-a", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "ignore"] });
  try {
    const r = await waitFor(async () => {
      const x = await cfkctl(["--address", `127.0.0.1:${port}`, "version"]);
      return x.code === 0 ? x : null;
    }, "cfkd on TCP");
    expect(r.out[0]).toMatch(/^\d+\.\d+/);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
});

test("shutdown returns once cfkd has exited, socket and lock removed", async () => {
  await using d2 = await DaemonProcess.start();
  await cfkctl(["--address", d2.sock, "load", "-"], fakeIo({ stdin: "service s cmd=sleep 100\ncommand start service s\n" }));
  const r = await cfkctl(["--address", d2.sock, "shutdown"]);
  expect(r.code).toBe(0);
  expect(existsSync(d2.sock)).toBe(false);
  expect(existsSync(join(d2.home, "lock"))).toBe(false);
  await waitFor(() => d2.proc.exitCode !== null, "cfkd to exit");
  expect(d2.proc.exitCode).toBe(0);
});
