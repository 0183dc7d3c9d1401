/**
 * Issue 2 acceptance 8 and SPEC §1: home 0700, socket 0600, the lock.
 */
import { expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { BUN, CFKD, DaemonProcess, alive, tempDir, waitFor } from "../harness.ts";

test("home 0700, socket 0600, lock holds the pid", async () => {
  await using d = await DaemonProcess.start();
  expect(statSync(d.home).mode & 0o777).toBe(0o700);
  expect(statSync(d.sock).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(d.home, "lock"), "utf8").trim()).toBe(String(d.pid));
});

test("a second cfkd on the same home refuses to start, naming the running pid", async () => {
  await using d = await DaemonProcess.start();
  const second = Bun.spawnSync([BUN, CFKD, "--home", d.home], { stderr: "pipe" });
  expect(second.exitCode).not.toBe(0);
  const err = second.stderr.toString();
  expect(err).toContain(`pid ${d.pid}`);
  expect(err).toContain("already running");
  expect(await d.ok("command version")).toHaveLength(1); // the first one is untouched
});

test("a stale lock is taken over", async () => {
  using dir = tempDir();
  const home = join(dir.path, "home");
  mkdirSync(home, { mode: 0o700 });
  // a pid that cannot be running: the largest pid + 1 is never handed out
  writeFileSync(join(home, "lock"), "4194304\n");
  await using d = await DaemonProcess.start({ home });
  expect(readFileSync(join(home, "lock"), "utf8").trim()).toBe(String(d.pid));
});

test("shutdown answers OK, stops services, removes socket and lock, exits 0", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service s cmd=sleep 100");
  await d.ok("command start service s");
  const body = await d.ok("command shutdown");
  expect(body).toEqual([]);
  expect(await d.proc.exited).toBe(0);
  expect(existsSync(d.sock)).toBe(false);
  expect(existsSync(join(d.home, "lock"))).toBe(false);
});

test("SIGTERM shuts down cleanly", async () => {
  await using d = await DaemonProcess.start();
  d.proc.kill("SIGTERM");
  expect(await d.proc.exited).toBe(0);
  expect(existsSync(join(d.home, "lock"))).toBe(false);
});

test("a home writable by others is refused", async () => {
  using dir = tempDir();
  const home = join(dir.path, "home");
  mkdirSync(home);
  chmodSync(home, 0o777);
  const r = Bun.spawnSync([BUN, CFKD, "--home", home], { stderr: "pipe" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("writable by others");
});

test("-c loads a config before accepting clients; an error names file:line", async () => {
  using dir = tempDir();
  const conf = join(dir.path, "s.conf");
  writeFileSync(conf, "# services\nservice a cmd=sleep 100\n\nservice a tags=x\n");
  await using d = await DaemonProcess.start({ args: ["-c", conf] });
  expect(await d.ok("command desc service a")).toEqual(["a\tx\t\t\tsleep 100"]);
  writeFileSync(conf, "service a cmd=sleep 100\nservice a bogus=1\n");
  const r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h2"), "-c", conf], { stderr: "pipe" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain(`${conf}:2: invalid property 'bogus'`);
});

test("-a host:port serves the console over TCP; a bad address is refused", async () => {
  await using d = await DaemonProcess.start({ tcp: true });
  expect(d.address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(await d.ok("command version")).toHaveLength(1);
  const r = Bun.spawnSync([BUN, CFKD, "--home", join(d.home, "other"), "-a", "nonsense:port"], { stderr: "pipe" });
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("invalid address 'nonsense:port'");
});

test("cfkd --version and -h", () => {
  const v = Bun.spawnSync([BUN, CFKD, "--version"], { stdout: "pipe" });
  expect(v.exitCode).toBe(0);
  expect(v.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
  const h = Bun.spawnSync([BUN, CFKD, "-h"], { stdout: "pipe" });
  expect(h.exitCode).toBe(0);
  const text = h.stdout.toString();
  for (const flag of ["--home", "--address", "--config", "--daemon", "--trap", "--log-config-file", "--auth-token-file", "--readonly-address"]) expect(text).toContain(flag);
});

test("SIGINT and SIGHUP shut down cleanly too", async () => {
  for (const sig of ["SIGINT", "SIGHUP"] as const) {
    await using d = await DaemonProcess.start();
    await d.ok("service s cmd=sleep 100");
    await d.ok("command start service s");
    const pid = Number(await waitFor(async () => (await d.status("s"))[2], "s pid"));
    d.proc.kill(sig);
    expect(await d.proc.exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(d.sock)).toBe(false);
  }
});

test("the console's unix path: a stale socket is replaced; a live one or a plain file is refused", () => {
  using dir = tempDir();
  const path = join(dir.path, "console.sock");
  // a live listener (not cfkd) holds the path
  const other = Bun.listen({ unix: path, socket: { data() {} } });
  let r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h1"), "-a", `unix:${path}`], { stderr: "pipe", timeout: 10_000 });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("is in use by another process");
  other.stop(true);
  // a plain file is never deleted
  writeFileSync(path, "precious");
  r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h2"), "-a", `unix:${path}`], { stderr: "pipe", timeout: 10_000 });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("exists and is not a socket");
  expect(readFileSync(path, "utf8")).toBe("precious");
});

test("a stale console socket file is replaced", async () => {
  using dir = tempDir();
  const path = join(dir.path, "console.sock");
  // a socket file nobody listens on: bound, then closed, by another process
  Bun.spawnSync(["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", path]);
  expect(lstatSync(path).isSocket()).toBe(true);
  await using d = await DaemonProcess.start({ args: ["-a", `unix:${path}`], address: path });
  expect(await d.ok("command version")).toHaveLength(1);
});
