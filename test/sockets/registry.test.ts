/**
 * The socket registry in-process, on real sockets: bind/unbind, the real
 * port after port 0, unix sockets (stale, live, not a socket), the OS's
 * words on failure, binding on demand, what services and proxies receive,
 * and that the daemon's event loop never accepts on a shared socket.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as libc from "../../src/daemon/os/libc.ts";
import { Sockets } from "../../src/daemon/sockets.ts";
import type { DaemonLog } from "../../src/daemon/logging/types.ts";
import { tempDir, waitFor } from "../harness.ts";
import { PYTHON } from "./http.ts";

const events: string[] = [];
const log: Pick<DaemonLog, "event"> = { event: (lvl, m) => void events.push(`${lvl} ${m}`) };
const registries: Sockets[] = [];

function registry(): Sockets {
  const s = new Sockets(log, (n) => (n === "cfk-test" ? 0 : undefined));
  registries.push(s);
  return s;
}

afterEach(() => {
  for (const r of registries.splice(0)) r.unbindAll();
  events.length = 0;
});

function declare(s: Sockets, name: string, props: Record<string, string>): void {
  for (const [k, v] of Object.entries(props)) expect(s.declare(name, k, v)).toBeNull();
}

const fdOf = (s: Sockets, name: string) => s.get(name)!.bound!.fd;

test("bind on port 0 reports the real port; unbind closes the daemon's copy", () => {
  const s = registry();
  declare(s, "web", { host: "127.0.0.1", service: "0" });
  expect(s.describe(s.get("web")!, [])).toBe("web\t127.0.0.1:0\tunbound\t");
  expect(s.bind("web")).toBeNull();
  const line = s.describe(s.get("web")!, ["w1", "w2"]);
  expect(line).toMatch(/^web\t127\.0\.0\.1:(\d+)\tbound\tw1,w2$/);
  expect(line).not.toContain(":0\t");
  const fd = fdOf(s, "web");
  expect(libc.isListening(fd)).toBe(true);
  expect(libc.isCloexec(fd)).toBe(true);
  expect(libc.isNonblocking(fd)).toBe(false); // blocking accept() in workers must work
  expect(s.bind("web")).toBe("'web' socket is already bound");
  expect(s.unbind("web")).toBeNull();
  expect(s.get("web")!.bound).toBeNull();
  expect(libc.isListening(fd)).toMatchObject({ failed: true, errno: libc.C.EBADF });
  expect(s.unbind("web")).toBe("'web' socket is not bound");
  expect(s.bind("nope")).toBe("unknown socket 'nope'");
  expect(s.unbind("nope")).toBe("unknown socket 'nope'");
});

test("nonblocking, localhost, services by name, IPv6", () => {
  const s = registry();
  declare(s, "nb", { host: "localhost", service: "cfk-test", nonblocking: "1", listen_qsize: "max" });
  expect(s.bind("nb")).toBeNull();
  expect(libc.isNonblocking(fdOf(s, "nb"))).toBe(true);
  expect(s.describe(s.get("nb")!, [])).toMatch(/^nb\t(127\.0\.0\.1|\[::1\]):\d+\tbound\t$/);
  declare(s, "v6", { host: "::1", service: "0", listen_qsize: "3" });
  expect(s.bind("v6")).toBeNull();
  expect(s.describe(s.get("v6")!, [])).toMatch(/^v6\t\[::1\]:\d+\tbound\t$/);
});

test("a port in use: the OS's words, logged, nothing bound", () => {
  const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const s = registry();
    declare(s, "web", { host: "127.0.0.1", service: String(busy.port) });
    const err = s.bind("web");
    expect(err).toBe(`cannot bind 'web' (127.0.0.1:${busy.port}): Address already in use`);
    expect(s.get("web")!.bound).toBeNull();
    expect(events).toContain(`error ${err}`);
    declare(s, "half", { host: "127.0.0.1" });
    expect(s.bind("half")).toBe("cannot bind 'half' (127.0.0.1:): host and service must both be set");
  } finally {
    busy.stop(true);
  }
});

test("unix sockets: a stale file is replaced, a live one is in use, other files are left alone", async () => {
  using dir = tempDir();
  const path = join(dir.path, "app.sock");
  // a stale socket file: its server exited without removing it
  const p = Bun.spawnSync([PYTHON, "-c", `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)}); s.listen()`]);
  expect(p.exitCode).toBe(0);
  expect(existsSync(path)).toBe(true);
  const s = registry();
  declare(s, "u", { host: "unix/", service: path });
  expect(s.bind("u")).toBeNull();
  expect(s.describe(s.get("u")!, [])).toBe(`u\tunix:${path}\tbound\t`);
  expect(libc.unixSocketAnswers(path)).toBe(true);
  // a second declaration on the same path, while the first is live
  declare(s, "u2", { host: "unix/", service: path });
  expect(s.bind("u2")).toBe(`cannot bind 'u2' (unix:${path}): Address already in use`);
  // a regular file is not ours to remove
  const file = join(dir.path, "data.txt");
  writeFileSync(file, "keep me");
  declare(s, "f", { host: "unix/", service: file });
  expect(s.bind("f")).toBe(`cannot bind 'f' (unix:${file}): ${file} exists and is not a socket`);
  expect(existsSync(file)).toBe(true);
  // unbind leaves the file (workers may still accept on it); shutdown removes it
  expect(s.unbind("u")).toBeNull();
  expect(existsSync(path)).toBe(true);
  expect(s.bind("u")).toBeNull(); // stale again: replaced
  s.unbindAll();
  expect(existsSync(path)).toBe(false);
  // shutdown leaves alone a file that is no longer the one it bound
  expect(s.bind("u")).toBeNull();
  unlinkSync(path);
  expect(Bun.spawnSync([PYTHON, "-c", `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path)})`]).exitCode).toBe(0);
  s.unbindAll();
  expect(existsSync(path)).toBe(true);
});

test("a service's sockets: bound on demand, fd 0 and fds 3…, LISTEN_* variables", () => {
  const s = registry();
  declare(s, "a", { host: "127.0.0.1", service: "0" });
  declare(s, "b", { host: "127.0.0.1", service: "0" });
  expect(s.get("a")!.bound).toBeNull();
  const r = s.forService("svc", "a", ["a", "b"]);
  if (typeof r === "string") throw new Error(r);
  expect(r.stdin).toBe(fdOf(s, "a"));
  expect(r.extraFds).toEqual([fdOf(s, "a"), fdOf(s, "b")]);
  expect(r.env).toEqual({ LISTEN_FDS: "2", LISTEN_FDNAMES: "a:b" });
  expect(r.listenPid).toBe(true);
  expect(events).toContain("info binding socket 'a' for service 'svc'");
  expect(s.forService("svc", null, [])).toEqual({ extraFds: [], env: {}, listenPid: false });
  expect(s.forService("svc", "nope", [])).toBe("unknown socket 'nope'");
  const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    declare(s, "c", { host: "127.0.0.1", service: String(busy.port) });
    expect(s.forService("svc", null, ["c"])).toMatch(/Address already in use$/);
  } finally {
    busy.stop(true);
  }
});

test("a proxy gets every bound socket, named by _CFK_SOCK_<name>", () => {
  const s = registry();
  declare(s, "web", { host: "127.0.0.1", service: "0" });
  declare(s, "api", { host: "127.0.0.1", service: "0" });
  declare(s, "idle", { host: "127.0.0.1", service: "0" });
  expect(s.bind("web")).toBeNull();
  expect(s.bind("api")).toBeNull();
  const r = s.forProxy(6);
  expect(r.fds).toEqual([fdOf(s, "api"), fdOf(s, "web")]);
  expect(r.env).toEqual({ _CFK_SOCK_api: "6", _CFK_SOCK_web: "7" });
});

test("the daemon's event loop never accepts: a connection waits in the backlog for a worker", async () => {
  const s = registry();
  declare(s, "web", { host: "127.0.0.1", service: "0" });
  expect(s.bind("web")).toBeNull();
  const port = Number(/:(\d+)\t/.exec(s.describe(s.get("web")!, []))![1]);
  let got = "";
  const client = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data: (_s, d) => void (got += d.toString()) } });
  client.write("ping");
  // Not a synchronisation: give this process's event loop turns in which a
  // live listener would have accepted the connection.
  await Bun.sleep(50);
  const worker = Bun.spawn(
    [PYTHON, "-c", "import socket; s = socket.socket(fileno=0); c, _ = s.accept(); c.sendall(b'pong:' + c.recv(4)); c.close()"],
    { stdio: [fdOf(s, "web"), "inherit", "inherit"] },
  );
  expect(await worker.exited).toBe(0);
  expect(await waitFor(() => got, "the worker's answer")).toBe("pong:ping");
  client.end();
});
