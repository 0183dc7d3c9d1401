/**
 * Shared sockets through the real daemon: the `socket` statement's errors,
 * bind/unbind/sockets, unix-domain and IPv6 sockets, a port in use
 * (acceptance 4), binding on first start and its failure, and which
 * descriptors each child gets (acceptance 5).
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, tempDir, waitFor, type Client, waitExec } from "../harness.ts";
import { fdTable, httpGet, parseAnswer, PYTHON, socketInodes, workerCmd } from "./http.ts";

/** A service's status record, once it is in `state`. */
function inState(d: DaemonProcess, name: string, state: string): Promise<string[]> {
  return waitFor(async () => {
    const s = await d.status(name);
    return s[1] === state ? s : null;
  }, `${name} ${state}`);
}

/** The pid of a running service. */
async function runningPid(d: DaemonProcess, name: string): Promise<number> {
  return Number((await inState(d, name, "running"))[2]);
}

async function portOf(c: Client, name: string): Promise<number> {
  const line = (await c.ok(`command sockets ${name}`))[0]!;
  return Number(/:(\d+)\t/.exec(line)![1]);
}

test("socket statements: the same errors as services", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  const cases: [string, string | undefined][] = [
    ["socket", "empty socket command"],
    ["socket web", "malformed socket command 'web'"],
    ["socket web host", "malformed socket command 'web host'"],
    ["socket 9web host=127.0.0.1", "socket name is invalid"],
    ["socket web colour=red", "invalid property 'colour'"],
    ["socket web host=example.com", "invalid value"],
    ["socket web service=70000", "invalid value"],
    ["socket web listen_qsize=lots", "invalid value"],
    ["socket web nonblocking=maybe", "invalid value"],
    ["socket web host = '::1'", undefined],
    ["socket web service=0", undefined],
    ["socket web listen_qsize=max", undefined],
    ["socket web nonblocking=", undefined],
    ["command bind nope", "unknown socket 'nope'"],
    ["command unbind nope", "unknown socket 'nope'"],
    ["command sockets nope", "unknown socket 'nope'"],
    ["command bind", "bind takes exactly 1 argument: socket name"],
    ["command unbind web", "'web' socket is not bound"],
  ];
  for (const [line, error] of cases) expect([line, (await c.request(line)).error]).toEqual([line, error]);
  expect(await c.ok("command sockets")).toEqual(["web\t[::1]:0\tunbound\t"]);
  await c.ok("command bind web");
  expect((await c.request("command bind web")).error).toBe("'web' socket is already bound");
  expect(await c.ok("command sockets")).toEqual([expect.stringMatching(/^web\t\[::1\]:\d+\tbound\t$/)]);
  await c.ok("command unbind web");
  expect(await c.ok("command sockets")).toEqual(["web\t[::1]:0\tunbound\t"]);
});

test("IPv6 and unix-domain sockets serve workers; a stale unix file is replaced", async () => {
  await using d = await DaemonProcess.start();
  using dir = tempDir();
  await using c = await d.client();
  const path = join(dir.path, "app.sock");
  // a stale socket file left by a server that died
  expect(Bun.spawnSync([PYTHON, "-c", `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path)})`]).exitCode).toBe(0);
  for (const [sock, host, service] of [["v6", "::1", "0"], ["u", "unix/", path]]) {
    await c.ok(`socket ${sock} host=${host}`);
    await c.ok(`socket ${sock} service=${service}`);
    await c.ok(`command bind ${sock}`);
    await c.ok(`service w-${sock} cmd=${workerCmd()}`);
    await c.ok(`service w-${sock} tie_stdin_to=${sock}`);
    await c.ok(`service w-${sock} startwait_secs=0.1`);
    await c.ok(`command start service w-${sock}`);
  }
  expect(await c.ok("command sockets")).toEqual([
    `u\tunix:${path}\tbound\tw-u`,
    expect.stringMatching(/^v6\t\[::1\]:\d+\tbound\tw-v6$/),
  ]);
  const v6 = parseAnswer(await httpGet({ hostname: "::1", port: await portOf(c, "v6") }));
  expect(v6).toMatchObject({ name: "w-v6", pid: await runningPid(d, "w-v6") });
  const u = parseAnswer(await httpGet({ unix: path }));
  expect(u).toMatchObject({ name: "w-u", pid: await runningPid(d, "w-u") });
});

test("a port in use: ERROR with the OS's words, and the daemon carries on", async () => {
  const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    await using d = await DaemonProcess.start();
    await using c = await d.client();
    await c.ok("socket web host=127.0.0.1");
    await c.ok(`socket web service=${busy.port}`);
    const r = await c.request("command bind web");
    expect(r.error).toBe(`cannot bind 'web' (127.0.0.1:${busy.port}): Address already in use`);
    expect(await c.ok("command version")).toHaveLength(1);
    expect(await c.ok("command sockets")).toEqual([`web\t127.0.0.1:${busy.port}\tunbound\t`]);

    // A service that needs it: the start fails with the bind error as its reason.
    await c.ok(`service w cmd=${workerCmd()}`);
    await c.ok("service w tie_stdin_to=web");
    await c.ok("service w respawn_max_retries=1");
    await c.ok("command start service w");
    expect((await inState(d, "w", "fatal"))[6]).toContain("Address already in use");
    await c.ok("service x cmd=sleep 100");
    await c.ok("service x listen_fds=nosuch");
    await c.ok("service x respawn_on_fail=0");
    await c.ok("command start service x");
    expect((await inState(d, "x", "fail"))[6]).toBe("unknown socket 'nosuch'");
    expect(d.proc.exitCode).toBeNull();
  } finally {
    busy.stop(true);
  }
});

test("a declared but unbound socket is bound by the first start that needs it", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  await c.ok("socket lazy host=127.0.0.1");
  await c.ok("socket lazy service=0");
  await c.ok(`service w cmd=${workerCmd()}`);
  await c.ok("service w listen_fds=lazy");
  await c.ok("service w startwait_secs=0.1");
  expect(await c.ok("command sockets")).toEqual(["lazy\t127.0.0.1:0\tunbound\tw"]);
  await c.ok("command start service w");
  const pid = await runningPid(d, "w");
  expect(await c.ok("command sockets")).toEqual([expect.stringMatching(/^lazy\t127\.0\.0\.1:\d+\tbound\tw$/)]);
  const a = parseAnswer(await httpGet({ hostname: "127.0.0.1", port: await portOf(c, "lazy") }));
  expect(a).toEqual({ name: "w", pid, listenPid: String(pid) });
});

test("with listen_fds, a missing program fails the start as a direct spawn would", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  await c.ok("socket s host=127.0.0.1");
  await c.ok("socket s service=0");
  const cases = [
    ["/nonexistent/server --flag", "ENOENT: no such file or directory, posix_spawn '/nonexistent/server'"],
    ["/etc/passwd", "EACCES: permission denied, posix_spawn '/etc/passwd'"],
    ["no-such-server-anywhere", 'Executable not found in $PATH: "no-such-server-anywhere"'],
  ];
  for (const [i, [cmd, reason]] of cases.entries()) {
    await c.ok(`service m${i} cmd=${cmd}`);
    await c.ok(`service m${i} listen_fds=s`);
    await c.ok(`service m${i} respawn_on_fail=0`);
    await c.ok(`command start service m${i}`);
    expect((await inState(d, `m${i}`, "fail"))[6]).toBe(reason!);
  }
});

test("each child gets exactly its sockets, nothing else of the daemon's (acceptance 5)", async () => {
  await using d = await DaemonProcess.start();
  using dir = tempDir();
  await using c = await d.client();
  for (const s of ["a", "b", "other"]) {
    await c.ok(`socket ${s} host=127.0.0.1`);
    await c.ok(`socket ${s} service=0`);
    await c.ok(`command bind ${s}`);
  }
  const out = join(dir.path, "env.json");
  // A child that records what it received, then waits.
  const probe = `import json, os, socket, time
def name(fd):
    return socket.socket(fileno=os.dup(fd)).getsockname()[1]
json.dump({"env": {k: v for k, v in os.environ.items() if k.startswith("LISTEN_")}, "pid": os.getpid(),
           "fd3": name(3), "fd4": name(4)}, open(${JSON.stringify(out)}, "w"))
time.sleep(100)`;
  await c.ok("service plain cmd=sleep 100");
  await c.ok("service tied cmd=sleep 100");
  await c.ok("service tied tie_stdin_to=a");
  await c.ok(`service sysd cmd=${JSON.stringify([PYTHON, "-c", probe])}`);
  await c.ok("service sysd listen_fds=a, b");
  await c.ok("service sysd add_env=LISTEN_FDS=99");
  for (const s of ["plain", "tied", "sysd"]) await c.ok(`service ${s} startwait_secs=0.1`);
  await c.ok("command start all");
  const [plain, tied, sysd] = [await runningPid(d, "plain"), await runningPid(d, "tied"), await runningPid(d, "sysd")];
  const daemonSocks = socketInodes(d.pid);
  const inode = (link: string | undefined) => /^socket:\[(\d+)\]$/.exec(link ?? "")?.[1];
  const shared = new Map<string, string>(); // socket name → inode, from the daemon's fds
  const ports = new Map<number, string>();
  for (const s of ["a", "b", "other"]) ports.set(await portOf(c, s), s);

  await waitExec(plain, "sleep");
  const p = fdTable(plain);
  expect([...p.keys()].sort()).toEqual([0, 1, 2]);
  expect(p.get(0)).toBe("/dev/null");
  for (const fd of [1, 2]) expect(daemonSocks.has(inode(p.get(fd)) ?? "")).toBe(false); // its own output pipes only

  await waitExec(tied, "sleep");
  const t = fdTable(tied);
  expect([...t.keys()].sort()).toEqual([0, 1, 2]);
  expect(daemonSocks.has(inode(t.get(0))!)).toBe(true); // fd 0 is the daemon's listener `a`
  shared.set("a", inode(t.get(0))!);

  const rec = await waitFor(() => {
    try {
      return JSON.parse(readFileSync(out, "utf8")) as { env: Record<string, string>; pid: number; fd3: number; fd4: number };
    } catch {
      return null;
    }
  }, "sysd's record");
  const s = fdTable(sysd);
  expect([...s.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
  expect(s.get(0)).toBe("/dev/null");
  expect(inode(s.get(3))).toBe(shared.get("a"));
  expect(daemonSocks.has(inode(s.get(4))!)).toBe(true);
  expect([ports.get(rec.fd3), ports.get(rec.fd4)]).toEqual(["a", "b"]);
  // add_env cannot fake the count: the daemon sets LISTEN_* from listen_fds
  expect(rec.env).toEqual({ LISTEN_FDS: "2", LISTEN_FDNAMES: "a:b", LISTEN_PID: String(sysd) });
  expect(rec.pid).toBe(sysd);
});
