/**
 * `cfkd -d` (SPEC §2, issue 3 acceptance 4), with the compiled cfkd: it
 * returns within 2 s once the socket accepts connections, the daemon
 * outlives the shell that launched it, has no controlling terminal, its own
 * session, cwd / and stdio on /dev/null; `cfkctl shutdown` stops it and
 * removes socket and lock. Failures return non-zero with the reason and
 * leave nothing running. Also from `bun src/cfkd.ts -d` (development).
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, BUN, CFKD, tempDir, waitFor, procStat } from "../harness.ts";
import { binaries, sh } from "./binaries.ts";

const started: number[] = [];
afterEach(() => {
  // never leave a daemon behind, whatever failed
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});

const statFields = (pid: number) => procStat(pid)!;
const lockPid = (home: string) => Number(readFileSync(join(home, "lock"), "utf8").trim());
const hasScript = Bun.which("script") !== null;

test("compiled cfkd -d: returns within 2 s; detached, no terminal, cwd /, stdio /dev/null; shutdown cleans up", async () => {
  const b = await binaries();
  using t = tempDir();
  const home = join(t.path, "home");
  // Launch from a shell that has a terminal (script gives it a pty), when we can.
  const launch = join(t.path, "launch.sh");
  writeFileSync(launch, `${b.cfkd} -d --home ${home}; echo "exit=$?"; tr -d '\\n' < /proc/$$/stat | sed 's/.*) //' | cut -d' ' -f5\n`);
  const t0 = performance.now();
  const r = await sh(hasScript ? `script -qec 'sh ${launch}' /dev/null` : `sh ${launch}`, {});
  const ms = performance.now() - t0;
  if (existsSync(join(home, "lock"))) started.push(lockPid(home)); // cleaned up even if an assertion fails
  const [exitLine, shellTty] = r.out.replace(/\r/g, "").trim().split("\n");
  expect(exitLine).toBe("exit=0");
  expect(ms).toBeLessThan(2000);
  if (hasScript) expect(Number(shellTty)).not.toBe(0); // the launching shell had a terminal

  const pid = lockPid(home);
  // the shell (and script) are gone; the daemon is not
  expect(alive(pid)).toBe(true);
  const { sid, ttyNr } = statFields(pid);
  expect(ttyNr).toBe(0);
  expect(sid).toBe(pid);
  expect(readlinkSync(`/proc/${pid}/cwd`)).toBe("/");
  for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe("/dev/null");

  // it answers, and services without cwd= run in /, without the launcher's marker
  const out = join(t.path, "svc.out");
  const ctl = (args: string) => sh(`${b.cfkctl} --address ${home}/sock ${args}`, {});
  const load = await sh(`${b.cfkctl} --address ${home}/sock load - <<'END'\nservice w cmd=sh -c 'pwd > ${out}; env >> ${out}; sleep 100'\ncommand start service w\nEND\n`, {});
  expect(load.code).toBe(0);
  const text = await waitFor(() => {
    const t = existsSync(out) ? readFileSync(out, "utf8") : "";
    return t.includes("CFKD_HOME") ? t : null;
  }, "the service's output");
  expect(text.split("\n")[0]).toBe("/");
  expect(text).not.toContain("_CFKD_DETACHED_REPORT");

  const down = await ctl("shutdown");
  expect(down.code).toBe(0);
  await waitFor(() => !alive(pid), "cfkd to exit after shutdown", 3000); // shutdown returns once socket and lock are gone; the exit follows
  expect(existsSync(join(home, "sock"))).toBe(false);
  expect(existsSync(join(home, "lock"))).toBe(false);
}, 30_000);

test("cfkd -d fails with the reason, non-zero, leaving nothing running: lock held, bad address, unusable home, cannot listen", async () => {
  const b = await binaries();
  using t = tempDir();
  const home = join(t.path, "home");
  const first = await sh(`${b.cfkd} -d --home ${home}`, {});
  if (existsSync(join(home, "lock"))) started.push(lockPid(home));
  expect(first.code).toBe(0);
  const pid = lockPid(home);

  const again = await sh(`${b.cfkd} -d --home ${home}`, {});
  expect(again.code).toBe(1);
  expect(again.err).toContain(`already running on ${home} with pid ${pid}`);

  const badAddr = await sh(`${b.cfkd} -d --home ${t.path}/h2 -a 'no:such:address'`, {});
  expect(badAddr.code).toBe(2);
  expect(badAddr.err).toContain("invalid address");

  writeFileSync(join(t.path, "afile"), "");
  const badHome = await sh(`${b.cfkd} -d --home ${t.path}/afile/home`, {});
  expect(badHome.code).toBe(1);
  expect(badHome.err).toContain("cannot create home directory");

  const noListen = await sh(`${b.cfkd} -d --home ${t.path}/h3 -a ${t.path}/no/such/dir/sock`, {});
  expect(noListen.code).toBe(1);
  expect(noListen.err).toContain("cannot listen");
  expect(existsSync(join(t.path, "h3", "lock"))).toBe(false); // it released its lock and exited

  await sh(`${b.cfkctl} --address ${home}/sock shutdown`, {});
  await waitFor(() => !alive(pid), "cfkd to exit after shutdown", 3000); // shutdown returns once socket and lock are gone; the exit follows
}, 30_000);

test("-d -t: HUP, INT and TERM are ignored; only shutdown stops it (without -t, TERM stops it)", async () => {
  const b = await binaries();
  using t = tempDir();
  const trapped = join(t.path, "trapped");
  const plain = join(t.path, "plain");
  const launched = [await sh(`${b.cfkd} -d -t --home ${trapped}`, {}), await sh(`${b.cfkd} -d --home ${plain}`, {})];
  for (const h of [trapped, plain]) if (existsSync(join(h, "lock"))) started.push(lockPid(h));
  expect(launched.map((l) => l.code)).toEqual([0, 0]);
  const tp = lockPid(trapped);
  const pp = lockPid(plain);

  process.kill(pp, "SIGTERM");
  await waitFor(() => !alive(pp), "the daemon without -t to exit on TERM");

  for (const sig of ["SIGHUP", "SIGINT", "SIGTERM"] as const) process.kill(tp, sig);
  // The untrapped daemon took a few ms to go; give the trapped one ten times that.
  await Bun.sleep(300);
  expect(alive(tp)).toBe(true);
  expect((await sh(`${b.cfkctl} --address ${trapped}/sock version`, {})).code).toBe(0);
  expect((await sh(`${b.cfkctl} --address ${trapped}/sock shutdown`, {})).code).toBe(0);
  await waitFor(() => !alive(tp), "cfkd to exit after shutdown", 3000); // shutdown returns once socket and lock are gone; the exit follows
}, 30_000);

test("development: bun src/cfkd.ts -d works the same way", async () => {
  using t = tempDir();
  const home = join(t.path, "home");
  const p = Bun.spawnSync([BUN, CFKD, "-d", "--home", home], { stdio: ["ignore", "pipe", "pipe"] });
  if (existsSync(join(home, "lock"))) started.push(lockPid(home));
  expect(p.exitCode).toBe(0);
  const pid = lockPid(home);
  expect(statFields(pid).sid).toBe(pid);
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(CFKD);
  const { cfkctl } = await binaries();
  expect((await sh(`${cfkctl} --address ${home}/sock shutdown`, {})).code).toBe(0);
  await waitFor(() => !alive(pid), "cfkd to exit after shutdown", 3000); // shutdown returns once socket and lock are gone; the exit follows
}, 30_000);
