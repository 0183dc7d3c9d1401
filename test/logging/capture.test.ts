/**
 * Service output through a real cfkd: the default config, Log Config
 * Sample 2, SIGUSR1 reloads, backpressure, and what never reaches the log.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, BUN, CFKD, FIXTURES, tempDir, waitFor, rssMiB, waitExec } from "../harness.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/daemon/logging/defaults.ts";
import { SAMPLE_2 } from "./samples.ts";
import { slowLog, waitUntilStuck } from "./slow-log.ts";

const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");
const linesOf = (text: string, cat: string) => text.split("\n").filter((l) => l.includes(` ${cat} - `));

async function waitForText(path: string, text: string, ms = 5000): Promise<string> {
  return waitFor(() => {
    const t = read(path);
    return t.includes(text) ? t : null;
  }, `'${text}' in ${path}`, ms);
}

test("acceptance 1: 3 stdout and 2 stderr lines, exactly, with the default pattern; log.config 0600", async () => {
  await using d = await DaemonProcess.start();
  const cfg = join(d.home, "log.config");
  expect(readFileSync(cfg, "utf8")).toBe(DEFAULT_LOG_CONFIG);
  expect(statSync(cfg).mode & 0o777).toBe(0o600);
  await d.ok("service p cmd=echo o1; echo o2; echo 'o3 with  spaces'; echo e1 >&2; echo e2 >&2");
  await d.ok("service p respawn_on_stop=0");
  await d.ok("command start service p");
  const log = join(d.home, "cfkd.log");
  await waitForText(log, "cfkd - child p exited");
  // the pipes may be drained after the exit is seen
  const text = await waitFor(() => {
    const t = read(log);
    return linesOf(t, "service.p.out").length === 3 && linesOf(t, "service.p.err").length === 2 ? t : null;
  }, "all five lines");
  const pid = /^(\d+) INFO 0 service\.p\.out - o1$/m.exec(text)?.[1];
  expect(pid).toBeDefined();
  expect(linesOf(text, "service.p.out")).toEqual([`${pid} INFO 0 service.p.out - o1`, `${pid} INFO 0 service.p.out - o2`, `${pid} INFO 0 service.p.out - o3 with  spaces`]);
  expect(linesOf(text, "service.p.err")).toEqual([`${pid} ERROR 0 service.p.err - e1`, `${pid} ERROR 0 service.p.err - e2`]);
  expect(text).toContain(`${pid} INFO 0 cfkd - child p exited`);
});

test("acceptance 2: Log Config Sample 2 sends each record where it says, and nowhere else", async () => {
  using dir = tempDir();
  const main = join(dir.path, "main.log");
  const services = join(dir.path, "services.log");
  const cfg = join(dir.path, "sample2.config");
  writeFileSync(cfg, SAMPLE_2(main, services));
  await using d = await DaemonProcess.start({ args: ["-l", cfg] });
  expect(existsSync(join(d.home, "log.config"))).toBe(false); // -l: no default file
  await d.ok("service web cmd=echo web-out; echo web-err >&2");
  await d.ok("service gearmand cmd=echo gm-out; echo gm-err >&2");
  for (const s of ["web", "gearmand"]) await d.ok(`service ${s} respawn_on_stop=0`);
  await d.ok("command start all");
  await waitForText(main, "child web exited");
  await waitForText(main, "child gearmand exited");
  await waitFor(() => d.stderr.includes("gm-err"), "gearmand's error on the screen");
  await waitFor(() => ["web-out", "web-err", "gm-err"].every((t) => read(services).includes(t)), "the services' lines");

  const m = read(main);
  expect(m).toContain("INFO 0 cfkd - starting web");
  expect(m).not.toContain("service.");
  const s = read(services).split("\n").filter(Boolean);
  expect(s.filter((l) => l.includes(" service.web.out - ")).map((l) => l.replace(/^\d+ /, ""))).toEqual(["INFO 0 service.web.out - web-out"]);
  expect(s.filter((l) => l.includes(" service.web.err - ")).map((l) => l.replace(/^\d+ /, ""))).toEqual(["ERROR 0 service.web.err - web-err"]);
  // service.gearmand is at ERROR: its stdout (INFO) is below it, Log4perl drops it
  expect(s.filter((l) => l.includes("gearmand")).map((l) => l.replace(/^\d+ /, ""))).toEqual(["ERROR 0 service.gearmand.err - gm-err"]);
  expect(s.every((l) => / service\.(web|gearmand)\.(out|err) - /.test(l))).toBe(true);
  expect(d.stderr.trim().split("\n")).toEqual(["[gearman] ERROR service.gearmand.err - gm-err"]);
});

test("acceptance 3: SIGUSR1 switches file and pattern without restarting; a broken config keeps the old one", async () => {
  await using d = await DaemonProcess.start();
  const log = join(d.home, "cfkd.log");
  const other = join(d.home, "other.log");
  await d.ok(`service tick cmd=["${BUN}","${join(FIXTURES, "ticker.ts")}"]`);
  await d.ok("command start service tick");
  await waitForText(log, "service.tick.out - tick 3");
  const pid = (await d.status("tick"))[2];

  writeFileSync(join(d.home, "log.config"), DEFAULT_LOG_CONFIG.replace("cfkd.log", "other.log").replace("%S %p %L %c - %m%n", "[%c] %m (pid %S)%n"));
  d.proc.kill("SIGUSR1");
  await waitForText(other, "[cfkd] Log config reloaded (pid -)");
  const firstNew = Number(/\[service\.tick\.out\] tick (\d+) \(pid \d+\)/.exec(await waitForText(other, "[service.tick.out] tick"))![1]);
  // no line lost or doubled across the switch
  const lastOld = Math.max(...linesOf(read(log), "service.tick.out").map((l) => Number(/tick (\d+)$/.exec(l)![1])));
  expect(firstNew).toBe(lastOld + 1);
  expect(read(log)).toContain("- INFO 0 cfkd - Reloading log config\n");
  expect(read(log)).not.toContain("Log config reloaded");

  writeFileSync(join(d.home, "log.config"), "log4perl.rootLogger=INFO, ALL\nlog4perl.appender.ALL=Log::Log4perl::Appender::Socket\n");
  d.proc.kill("SIGUSR1");
  const after = await waitForText(other, "There is an error in my config");
  expect(after).toContain(`[cfkd] There is an error in my config. Aborting. (${join(d.home, "log.config")}:2: unknown appender type 'Log::Log4perl::Appender::Socket'`);
  const n = linesOf(read(other), "service.tick.out").length;
  await waitFor(() => read(other).split("\n").filter((l) => l.startsWith("[service.tick.out]")).length > n + 2, "ticks still logged by the old config");
  expect((await d.status("tick"))[2]).toBe(pid);
  expect(d.stderr).toContain("log config not reloaded, the old one stays in force");
});

test("a service writing faster than the log is slowed by its pipe; nothing is lost, memory stays bounded", async () => {
  using dir = tempDir();
  using log = slowLog(dir.path);
  await using d = await DaemonProcess.start({ args: ["-l", log.config] });
  const n = 300_000; // 30 MB, far more than the pipes and the log's buffers hold
  const progress = join(dir.path, "progress");
  await d.ok(`service flood cmd=["${BUN}","${join(FIXTURES, "linewriter.ts")}","${n}","${progress}"]`);
  await d.ok("service flood respawn_on_stop=0");
  await d.ok("command start service flood");
  // the writer gets stuck: the daemon stopped reading its pipe
  expect(await waitUntilStuck(progress)).toBeLessThan(n * 100);
  expect(rssMiB(d.pid)).toBeLessThan(150);
  expect((await d.ok("command version"))[0]).toBeDefined(); // the console still answers

  const out = await log.readUntil(`service.flood.out ${String(n - 1).padStart(18, "0")}`, 20_000);
  const lines = out.split("\n").filter((l) => l.startsWith("service.flood.out "));
  expect(lines).toHaveLength(n);
  const body = "x".repeat(81);
  for (let i = 1; i < n; i++) if (lines[i] !== `service.flood.out ${String(i).padStart(18, "0")}${body}`) throw new Error(`line ${i}: ${lines[i]}`);
}, 30_000);

test("ignore_stdout/ignore_stderr keep a stream out of the log; the log's files do not leak into services", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service q cmd=echo visible-out; echo hidden-err >&2; exec sleep 60");
  await d.ok("service q ignore_stderr=1");
  await d.ok("service r cmd=echo hidden-out; echo visible-err >&2; exec sleep 60");
  await d.ok("service r ignore_stdout=1");
  await d.ok("command start all");
  const log = join(d.home, "cfkd.log");
  await waitForText(log, "service.q.out - visible-out");
  await waitForText(log, "service.r.err - visible-err");
  const pid = (await d.status("q"))[2];
  // before its exec a child still holds the daemon's close-on-exec descriptors
  await waitExec(Number(pid), "sleep");
  expect(read(log)).not.toContain("hidden");
  const fds = readdirSync(`/proc/${pid}/fd`).map((f) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${f}`);
    } catch {
      return "";
    }
  });
  expect(fds.some((l) => l.includes("cfkd.log") || l.includes("log.config"))).toBe(false);
});

test("a broken log config stops cfkd from starting, naming file and line; -l must exist", async () => {
  using dir = tempDir();
  const home = join(dir.path, "home");
  const cfg = join(dir.path, "bad.config");
  writeFileSync(cfg, "log4perl.rootLogger=INFO, X\n\nlog4perl.appender.X=Log::Log4perl::Appender::Email\n");
  const run = (args: string[]) => Bun.spawnSync([BUN, CFKD, "--home", home, ...args], { stderr: "pipe" });
  const bad = run(["-l", cfg]);
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr.toString()).toBe(`cfkd: ${cfg}:3: unknown appender type 'Log::Log4perl::Appender::Email' for 'X' (supported: Log::Log4perl::Appender::File, Log::Log4perl::Appender::Screen)\n`);
  const missing = run(["-l", join(dir.path, "nope.config")]);
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr.toString()).toContain(`cannot read log config ${join(dir.path, "nope.config")}`);
  expect(existsSync(join(home, "lock"))).toBe(false);
});

test("the daemon's own events: connections, starts, exits with reasons, respawns, backoff, fatal", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service once cmd=sleep 0.05; exit 3");
  await d.ok("service once respawn_max_retries=2");
  await d.ok("command start service once");
  const log = join(d.home, "cfkd.log");
  const text = await waitForText(log, "giving up (fatal)");
  // console connections are DEBUG (issue 13): a monitoring loop must not flood the log
  expect(text).not.toContain("new connection to admin");
  expect(text).not.toContain("Console connection closed");
  expect(text).toContain("- INFO 0 cfkd - starting once\n");
  expect(text).toMatch(/\n\d+ ERROR 0 cfkd - child once terminated abnormally: Exited with error 3\n/);
  expect(text).toContain("WARN 0 cfkd - once failed while starting, retrying in");
  expect(text).toContain("INFO 0 cfkd - restarting once [attempt: 2]");
  await d.ok("service crash cmd=sleep 0.3; exit 1");
  await d.ok("service crash startwait_secs=0.1");
  await d.ok("command start service crash");
  await waitForText(log, "respawning crash (respawn_on_fail)");
});

test("console connections are logged at DEBUG, so a DEBUG config shows them", async () => {
  using dir = tempDir();
  const cfg = join(dir.path, "debug.config");
  const log = join(dir.path, "debug.log");
  writeFileSync(cfg, `log4perl.rootLogger=DEBUG, F\nlog4perl.appender.F=Log::Log4perl::Appender::File\nlog4perl.appender.F.filename=${log}\nlog4perl.appender.F.layout=PatternLayout\nlog4perl.appender.F.layout.ConversionPattern=%p %c - %m%n\n`);
  await using d = await DaemonProcess.start({ args: ["-l", cfg] });
  await d.ok("command version");
  const text = await waitForText(log, "Console connection closed");
  expect(text).toContain("DEBUG cfkd - new connection to admin from unix/:");
});
