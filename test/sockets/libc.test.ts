/**
 * The libc seam (src/daemon/os/libc.ts) against real descriptors: errno and
 * strerror, close-on-exec duplicates, O_NONBLOCK on the shared description,
 * listen(2), getsockname, unix-domain binds and the stale-socket probe.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as libc from "../../src/daemon/os/libc.ts";
import { tempDir } from "../harness.ts";

const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) libc.close(fd);
});

/** A listening TCP socket from Bun, and a duplicate we own. */
function bunListener() {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const fd = (l as unknown as { fd: number }).fd;
  return { l, fd, port: l.port };
}

function num<T>(x: T | libc.Failure): T {
  if (libc.isFailure(x)) throw new Error(`libc call failed: ${x.message}`);
  return x;
}

test("platform constants", () => {
  if (process.platform === "linux") {
    expect(libc.C.F_DUPFD_CLOEXEC).toBe(1030);
    expect(libc.C.AF_INET6).toBe(10);
    expect(libc.C.O_NONBLOCK).toBe(0o4000);
  }
  expect(libc.C.AF_INET).toBe(2);
  expect(libc.C.AF_UNIX).toBe(1);
  expect(libc.C.SOMAXCONN).toBeGreaterThanOrEqual(128);
});

test("a failed call carries errno and strerror's text", () => {
  const r = libc.close(-1);
  expect(r).toEqual({ failed: true, errno: libc.C.EBADF, message: "Bad file descriptor" });
  expect(libc.strerror(libc.C.EADDRINUSE)).toBe("Address already in use");
  expect(libc.isFailure(libc.listen(-1, 1))).toBe(true);
});

test("dupCloexec: fd >= 3, close-on-exec, survives Bun's stop(), still listening", async () => {
  const { l, fd, port } = bunListener();
  const dup = num(libc.dupCloexec(fd));
  opened.push(dup);
  l.stop(true);
  expect(dup).toBeGreaterThanOrEqual(3);
  expect(dup).not.toBe(fd);
  expect(num(libc.isCloexec(dup))).toBe(true);
  expect(num(libc.isListening(dup))).toBe(true);
  const name = num(libc.getSockName(dup));
  expect(name).toEqual({ family: "inet", port, addr: new Uint8Array([127, 0, 0, 1]) });
  // A connection is queued in the kernel (nobody accepts), not refused.
  const c = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  c.end();
});

test("setNonblocking sets and clears O_NONBLOCK (Bun's listener leaves it set)", () => {
  const { l, fd } = bunListener();
  const dup = num(libc.dupCloexec(fd));
  opened.push(dup);
  l.stop(true);
  expect(num(libc.isNonblocking(dup))).toBe(true);
  expect(libc.setNonblocking(dup, false)).toBeNull();
  expect(num(libc.isNonblocking(dup))).toBe(false);
  expect(libc.setNonblocking(dup, true)).toBeNull();
  expect(num(libc.isNonblocking(dup))).toBe(true);
  expect(libc.listen(dup, 7)).toBeNull();
  expect(num(libc.isListening(dup))).toBe(true);
});

test("getsockname decodes IPv6", () => {
  const l = Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } });
  try {
    const n = num(libc.getSockName((l as unknown as { fd: number }).fd));
    expect(n.family).toBe("inet6");
    if (n.family !== "inet6") return;
    expect(n.port).toBe(l.port);
    expect([...n.addr]).toEqual([...new Array(15).fill(0), 1]);
  } finally {
    l.stop(true);
  }
});

test("listenUnix binds a unix socket; the probe tells live from stale", async () => {
  using dir = tempDir();
  const path = join(dir.path, "u.sock");
  expect(libc.unixSocketAnswers(path)).toBe(false); // nothing there
  const fd = num(libc.listenUnix(path, 16));
  opened.push(fd);
  expect(existsSync(path)).toBe(true);
  expect(num(libc.isCloexec(fd))).toBe(true);
  expect(num(libc.getSockName(fd))).toEqual({ family: "unix", path });
  expect(libc.unixSocketAnswers(path)).toBe(true);
  // binding the same path again: in use
  const again = libc.listenUnix(path, 16);
  expect(libc.isFailure(again) && again.errno).toBe(libc.C.EADDRINUSE);
  // closed: the file stays, but nobody answers (stale)
  libc.close(opened.pop()!);
  expect(existsSync(path)).toBe(true);
  expect(libc.unixSocketAnswers(path)).toBe(false);
});

test("a unix path too long for sun_path is refused, not truncated", () => {
  const r = libc.listenUnix("/tmp/" + "x".repeat(200), 1);
  expect(libc.isFailure(r) && r.message).toMatch(/unix socket path must be 1 to \d+ bytes/);
});
