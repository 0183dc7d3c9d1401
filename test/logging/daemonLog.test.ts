/**
 * The daemon's log in-process, with the real log4js and real files:
 * Log4perl routing byte for byte (expected texts produced by
 * Log::Log4perl 1.57 from the same config), reload, captured output.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDaemonLog, LogConfigError, type RunningLog } from "../../src/daemon/logging/daemonLog.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/daemon/logging/defaults.ts";
import { tempDir } from "../harness.ts";

let open: RunningLog | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

function start(home: string, config: string | null, opts: { complain?: (s: string) => void } = {}): RunningLog {
  const file = join(home, "log.config");
  if (config !== null) writeFileSync(file, config);
  open = openDaemonLog({ configFile: file, createMissing: config === null, home, env: {}, complain: opts.complain ?? (() => {}) });
  return open;
}

const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");

function stream(text: string): ReadableStream<Uint8Array> {
  return new Response(text).body!;
}

test("the default config is written with mode 0600 and logs to cfkd.log", async () => {
  using dir = tempDir();
  const log = start(dir.path, null);
  expect(readFileSync(join(dir.path, "log.config"), "utf8")).toBe(DEFAULT_LOG_CONFIG);
  expect(statSync(join(dir.path, "log.config")).mode & 0o777).toBe(0o600);
  log.event("info", "starting web", null);
  log.event("error", "child web terminated abnormally: Exited with error 3", 77);
  log.event("debug", "below INFO", null);
  await log.flush();
  expect(read(join(dir.path, "cfkd.log"))).toBe("- INFO 0 cfkd - starting web\n77 ERROR 0 cfkd - child web terminated abnormally: Exited with error 3\n");
});

test("routing, levels, thresholds and duplicates exactly as Log4perl", async () => {
  using dir = tempDir();
  const log = start(
    dir.path,
    `log4perl.rootLogger=INFO, A
log4perl.logger.service=DEBUG, B
log4perl.logger.service.web=WARN, A
log4perl.threshold = INFO
log4perl.appender.A=Log::Log4perl::Appender::File
log4perl.appender.A.filename=a.log
log4perl.appender.A.mode=write
log4perl.appender.A.layout=SimpleLayout
log4perl.appender.B=Log::Log4perl::Appender::File
log4perl.appender.B.filename=b.log
log4perl.appender.B.mode=write
log4perl.appender.B.Threshold=ERROR
log4perl.appender.B.layout=PatternLayout
log4perl.appender.B.layout.ConversionPattern=%c{1}|%p{1}|%-7p|%7p|%.2p|%m%n
`,
  );
  log.event("debug", "d cfkd");
  log.event("info", "i cfkd");
  log.event("warn", "w cfkd");
  log.event("error", "e cfkd");
  // captured output: stdout at INFO, stderr at ERROR
  for (const svc of ["db", "web"]) {
    await log.capture("service", svc, "out", 1, stream(`i service.${svc}.out\n`));
    await log.capture("service", svc, "err", 1, stream(`e service.${svc}.err\n`));
  }
  await log.flush();
  // Log::Log4perl's own output for this config and these records:
  expect(read(join(dir.path, "a.log"))).toBe(
    ["INFO - i cfkd", "WARN - w cfkd", "ERROR - e cfkd", "INFO - i service.db.out", "ERROR - e service.db.err", "ERROR - e service.web.err", "ERROR - e service.web.err", ""].join("\n"),
  );
  expect(read(join(dir.path, "b.log"))).toBe(["err|E|ERROR  |  ERROR|ER|e service.db.err", "err|E|ERROR  |  ERROR|ER|e service.web.err", ""].join("\n"));
});

test("captured lines: partial line flushed at the end, %S is the pid, tail keeps them", async () => {
  using dir = tempDir();
  const log = start(dir.path, null);
  await log.capture("service", "web", "out", 321, stream("one\ntwo\nthree"));
  await log.capture("service", "web", "err", 321, stream("oops\n"));
  await log.flush();
  expect(read(join(dir.path, "cfkd.log"))).toBe(
    "321 INFO 0 service.web.out - one\n321 INFO 0 service.web.out - two\n321 INFO 0 service.web.out - three\n321 ERROR 0 service.web.err - oops\n",
  );
  expect(log.tail.recent(() => true, 2)).toEqual(["web\tout\tthree", "web\terr\toops"]);
});

test("proxies log under proxy.NAME.out|err", async () => {
  using dir = tempDir();
  const log = start(dir.path, null);
  log.proxyLine("pp", "err", 9, "proxy trouble");
  log.serviceLine("w1", "out", 10, "via the proxy");
  await log.flush();
  expect(read(join(dir.path, "cfkd.log"))).toBe("9 ERROR 0 proxy.pp.err - proxy trouble\n10 INFO 0 service.w1.out - via the proxy\n");
});

test("a broken config is refused at start with file:line", () => {
  using dir = tempDir();
  expect(() => start(dir.path, "log4perl.rootLogger=INFO, A\nlog4perl.appender.A=Log::Log4perl::Appender::Syslog\n")).toThrow(
    new LogConfigError(`${join(dir.path, "log.config")}:2: unknown appender type 'Log::Log4perl::Appender::Syslog' for 'A' (supported: Log::Log4perl::Appender::File, Log::Log4perl::Appender::Screen)`),
  );
  open = null;
});

test("a file that cannot be opened is refused with the appender's line", () => {
  using dir = tempDir();
  const cfg = DEFAULT_LOG_CONFIG.replace("${CFKD_HOME}/cfkd.log", "${CFKD_HOME}/no/such/dir/x.log");
  expect(() => start(dir.path, cfg)).toThrow(/log\.config:2: appender ALL: cannot open .*no\/such\/dir\/x\.log/);
  open = null;
});

test("reload switches files and patterns; a broken one keeps the old config and says why", async () => {
  using dir = tempDir();
  const complaints: string[] = [];
  const log = start(dir.path, null, { complain: (s) => complaints.push(s) });
  const file = join(dir.path, "log.config");
  log.event("info", "before");

  writeFileSync(file, DEFAULT_LOG_CONFIG.replace("cfkd.log", "new.log").replace("%S %p %L %c - %m%n", "NEW %p %m%n"));
  expect(log.reload()).toBe(true);
  log.event("info", "after");

  writeFileSync(file, DEFAULT_LOG_CONFIG + "log4perl.appender.ALL.layout.ConversionPattern=%m\n");
  expect(log.reload()).toBe(false);
  log.event("info", "still new");
  await log.flush();

  expect(read(join(dir.path, "cfkd.log"))).toBe("- INFO 0 cfkd - before\n- INFO 0 cfkd - Reloading log config\n");
  const newer = read(join(dir.path, "new.log"));
  expect(newer).toStartWith("NEW INFO Log config reloaded\nNEW INFO after\nNEW INFO Reloading log config\nNEW ERROR There is an error in my config. Aborting. (");
  expect(newer).toContain("log.config:7: log4perl.appender.ALL.layout.ConversionPattern redefined (first defined on line 6))\n");
  expect(newer).toEndWith("NEW INFO still new\n");
  expect(complaints.join("")).toContain("the old one stays in force");
});

test("reload after a log rotation writes to a fresh file; mode=write does not wipe on reload", async () => {
  using dir = tempDir();
  const cfg = DEFAULT_LOG_CONFIG.replace("mode=append", "mode=write");
  writeFileSync(join(dir.path, "cfkd.log"), "from a previous run\n");
  const log = start(dir.path, cfg);
  log.event("info", "one");
  await log.flush();
  renameSync(join(dir.path, "cfkd.log"), join(dir.path, "cfkd.log.1"));
  log.event("info", "two");
  expect(log.reload()).toBe(true);
  log.event("info", "three");
  expect(log.reload()).toBe(true);
  log.event("info", "four");
  await log.flush();
  expect(read(join(dir.path, "cfkd.log.1"))).toBe("- INFO 0 cfkd - one\n- INFO 0 cfkd - two\n- INFO 0 cfkd - Reloading log config\n");
  expect(read(join(dir.path, "cfkd.log"))).toBe(
    "- INFO 0 cfkd - Log config reloaded\n- INFO 0 cfkd - three\n- INFO 0 cfkd - Reloading log config\n- INFO 0 cfkd - Log config reloaded\n- INFO 0 cfkd - four\n",
  );
});

test("a reload that cannot open one of its files changes nothing, creates nothing", async () => {
  using dir = tempDir();
  const log = start(dir.path, null);
  writeFileSync(join(dir.path, "plainfile"), ""); // a file where a directory should be: fails even for root
  const other = DEFAULT_LOG_CONFIG.replaceAll("ALL", "OTHER").replace("${CFKD_HOME}/cfkd.log", "${CFKD_HOME}/plainfile/x.log").replace("rootLogger=", "logger.cfkd=");
  writeFileSync(join(dir.path, "log.config"), DEFAULT_LOG_CONFIG.replace("cfkd.log", "ok.log") + other);
  expect(log.reload()).toBe(false);
  log.event("info", "still here");
  await log.flush();
  expect(existsSync(join(dir.path, "ok.log"))).toBe(false);
  expect(read(join(dir.path, "cfkd.log"))).toContain("(" + join(dir.path, "log.config") + ":8: appender OTHER: cannot open");
  expect(read(join(dir.path, "cfkd.log"))).toEndWith("- INFO 0 cfkd - still here\n");
});

test("a layout that reshapes the message renders each captured line as text", async () => {
  using dir = tempDir();
  const log = start(dir.path, DEFAULT_LOG_CONFIG.replace("%S %p %L %c - %m%n", "[%-6.4m] [%m]%n"));
  await log.capture("service", "w", "out", 5, stream("abcdefgh\nxy\nnon-ascii: é€\n"));
  await log.flush();
  expect(read(join(dir.path, "cfkd.log"))).toBe("[abcd  ] [abcdefgh]\n[xy    ] [xy]\n[non-  ] [non-ascii: é€]\n");
});
