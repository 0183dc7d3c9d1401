/**
 * Log4perl config → plan: the configs of the original's manual and
 * tutorial, Log4perl's routing rules, and line-numbered rejections.
 */
import { describe, expect, test } from "bun:test";
import { translate, type Plan } from "../../src/daemon/logging/translate.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/daemon/logging/defaults.ts";
import { SAMPLE_2 } from "./samples.ts";

const HOME = "/srv/cfk";

function plan(text: string, env: Record<string, string> = {}): Plan {
  const r = translate(text, HOME, env);
  if (!r.ok) throw new Error(`line ${r.line}: ${r.message}`);
  return r.value;
}

function error(text: string, env: Record<string, string> = {}): { line: number; message: string } {
  const r = translate(text, HOME, env);
  if (r.ok) throw new Error("accepted");
  return { line: r.line, message: r.message };
}

/** Where a record of `category` goes: the nearest defined logger's answer (what log4js does). */
function route(p: Plan, category: string): { level: string; appenders: string[] } {
  for (let c: string | null = category; c !== null; c = c === "" ? null : c.includes(".") ? c.slice(0, c.lastIndexOf(".")) : "") {
    const hit = p.categories.find((x) => x.name === c);
    if (hit) return { level: hit.level, appenders: hit.appenders };
  }
  throw new Error("no root");
}

const SAMPLE_1 = `
    ## logs everything under cfk's home
    log4perl.rootLogger=DEBUG, LOGFILE

    log4perl.appender.LOGFILE=Log::Log4perl::Appender::File
    log4perl.appender.LOGFILE.filename=/home/user/.controlfreak/cfkd.log
    log4perl.appender.LOGFILE.mode=append
    log4perl.appender.LOGFILE.layout=PatternLayout
    log4perl.appender.LOGFILE.layout.ConversionPattern=%d [%S] %p %c - %m%n
`;


describe("configs from the original", () => {
  test("the default config: root INFO to $CFKD_HOME/cfkd.log", () => {
    const p = plan(DEFAULT_LOG_CONFIG);
    expect(p.appenders).toHaveLength(1);
    expect(p.appenders[0]).toMatchObject({ name: "ALL", kind: "file", path: `${HOME}/cfkd.log`, mode: "append" });
    expect(route(p, "cfkd")).toEqual({ level: "INFO", appenders: ["ALL"] });
    expect(route(p, "service.web.out")).toEqual({ level: "INFO", appenders: ["ALL"] });
  });

  test("the tutorial's default config with the old Perl filename", () => {
    const p = plan(DEFAULT_LOG_CONFIG.replace("${CFKD_HOME}/cfkd.log", 'sub { $ENV{CFKD_HOME} . "/cfkd.log" }'));
    expect(p.appenders[0]).toMatchObject({ kind: "file", path: `${HOME}/cfkd.log` });
  });

  test("Log Config Sample 1", () => {
    const p = plan(SAMPLE_1);
    expect(route(p, "service.x.err")).toEqual({ level: "DEBUG", appenders: ["LOGFILE"] });
    expect(p.appenders[0]).toMatchObject({ path: "/home/user/.controlfreak/cfkd.log" });
  });

  test("Log Config Sample 2: additivity 0 keeps services out of the main log", () => {
    const p = plan(SAMPLE_2("/tmp/main.log", "/tmp/services.log"));
    expect(route(p, "cfkd")).toEqual({ level: "DEBUG", appenders: ["LOGFILE"] });
    expect(route(p, "service.web.out")).toEqual({ level: "DEBUG", appenders: ["SVCFILE"] });
    // Log4perl: service.gearmand's own level (ERROR) decides, then its
    // appenders and its parent's (SVCFILE); additivity 0 stops at `service`.
    expect(route(p, "service.gearmand.err")).toEqual({ level: "ERROR", appenders: ["SCREEN", "SVCFILE"] });
    expect(p.appenders.find((a) => a.name === "SCREEN")).toMatchObject({ kind: "screen", fd: 2 });
  });
});

describe("Log4perl routing", () => {
  const base = `
    log4perl.appender.A=Log::Log4perl::Appender::File
    log4perl.appender.A.filename=a.log
    log4perl.appender.A.layout=SimpleLayout
    log4perl.appender.B=Log::Log4perl::Appender::File
    log4perl.appender.B.filename=b.log
    log4perl.appender.B.layout=SimpleLayout
  `;

  test("an appender reached twice writes twice, unless oneMessagePerAppender", () => {
    const cfg = base + "log4perl.rootLogger=INFO, A\nlog4perl.logger.service=DEBUG, B\nlog4perl.logger.service.web=WARN, A\n";
    expect(route(plan(cfg), "service.web.err")).toEqual({ level: "WARN", appenders: ["A", "B", "A"] });
    expect(route(plan(cfg + "log4perl.oneMessagePerAppender = 1\n"), "service.web.err")).toEqual({ level: "WARN", appenders: ["A", "B"] });
  });

  test("levels inherit from the nearest ancestor; no root means OFF", () => {
    const p = plan(base + "log4perl.logger.service.db=debug, A\n");
    expect(route(p, "service.db.out")).toEqual({ level: "DEBUG", appenders: ["A"] });
    expect(route(p, "cfkd")).toEqual({ level: "OFF", appenders: [] });
  });

  test("additivity for an undefined logger is ignored, as Log4perl does", () => {
    const p = plan(base + "log4perl.rootLogger=INFO, A\nlog4perl.additivity.service=0\nlog4perl.logger.service.web=INFO, B\n");
    expect(route(p, "service.web.out").appenders).toEqual(["B", "A"]);
  });

  test("Threshold, and the system-wide threshold that only raises it", () => {
    const p = plan(base + "log4perl.rootLogger=DEBUG, A, B\nlog4perl.appender.A.Threshold=ERROR\nlog4perl.threshold=INFO\n");
    expect(p.appenders.find((a) => a.name === "A")!.threshold).toBe("ERROR");
    expect(p.appenders.find((a) => a.name === "B")!.threshold).toBe("INFO");
  });

  test("log4j., log4js. and l4p. prefixes, `category`, variables, continuations", () => {
    const p = plan(`
      layout_class = Log::Log4perl::Layout::PatternLayout
      log4j.category.service = INFO, \\
          A
      l4p.rootLogger = WARN, A
      log4js.appender.A = Log::Log4perl::Appender::File
      log4js.appender.A.filename = \${LOGDIR}/x.log
      log4js.appender.A.layout = \${layout_class}
    `, { LOGDIR: "/var/log/cfk" });
    expect(route(p, "service.a.out")).toEqual({ level: "INFO", appenders: ["A", "A"] });
    expect(p.appenders[0]).toMatchObject({ path: "/var/log/cfk/x.log" });
  });

  test("relative file names are under the home; unused appenders are not opened", () => {
    const p = plan(base + "log4perl.rootLogger=INFO, B\n");
    expect(p.appenders.map((a) => a.name)).toEqual(["B"]);
    expect(p.appenders[0]).toMatchObject({ path: `${HOME}/b.log` });
  });

  test("filename forms of old configs", () => {
    const cfg = (fn: string) => `log4perl.rootLogger=INFO, A\nlog4perl.appender.A=Log::Log4perl::Appender::File\nlog4perl.appender.A.filename=${fn}\nlog4perl.appender.A.layout=SimpleLayout\n`;
    const path = (fn: string) => (plan(cfg(fn), { LOGS: "/l" }).appenders[0] as { path: string }).path;
    expect(path(`sub { $ENV{CFKD_HOME} . "/cfkd.log" }`)).toBe(`${HOME}/cfkd.log`);
    expect(path(`sub { return $ENV{'LOGS'} . '/a' . "/b.log"; }`)).toBe("/l/a/b.log");
    expect(path(`sub { "$ENV{LOGS}/c.log" }`)).toBe("/l/c.log");
    expect(error(cfg(`sub { time() . ".log" }`))).toMatchObject({ line: 3, message: expect.stringContaining("cannot run Perl code") });
    expect(error(cfg(`sub { $ENV{NOPE} . "/x" }`)).message).toContain("NOPE is not set");
  });
});

describe("configs that cannot be understood are rejected with their line", () => {
  const cases: [string, string, number, string][] = [
    ["unknown appender type", "log4perl.rootLogger=INFO, A\nlog4perl.appender.A=Log::Log4perl::Appender::DBI\nlog4perl.appender.A.layout=SimpleLayout", 2, "unknown appender type 'Log::Log4perl::Appender::DBI'"],
    ["a broken line", "log4perl.rootLogger=INFO, A\nthis is not a setting\n", 2, "cannot understand 'this is not a setting'"],
    ["an unknown level", "\n\nlog4perl.rootLogger=LOUD, A", 3, "level 'LOUD' is not a valid level"],
    ["a missing level", "log4perl.rootLogger=, A", 1, "level '' is not a valid level"],
    ["an undefined appender", "# c\nlog4perl.rootLogger=INFO, NOPE", 2, "appender 'NOPE' is not defined"],
    ["an undefined variable", "log4perl.rootLogger=${level}, A", 1, "undefined variable 'level'"],
    ["a key defined twice", "log4perl.rootLogger=INFO, A\nlog4perl.rootLogger=DEBUG, A", 2, "redefined (first defined on line 1)"],
    ["no layout", "log4perl.rootLogger=INFO, A\nlog4perl.appender.A=Log::Log4perl::Appender::Screen", 2, "layout not specified for appender 'A'"],
    ["an unknown layout", "log4perl.appender.A=Log::Log4perl::Appender::Screen\nlog4perl.appender.A.layout=XMLLayout", 2, "unknown layout 'XMLLayout'"],
    ["threshold in lower case", "log4perl.appender.A=Log::Log4perl::Appender::Screen\nlog4perl.appender.A.layout=SimpleLayout\nlog4perl.appender.A.threshold=INFO", 3, "perhaps you meant 'Threshold'"],
    ["a bad mode", "log4perl.appender.A=Log::Log4perl::Appender::File\nlog4perl.appender.A.filename=x\nlog4perl.appender.A.mode=pipe\nlog4perl.appender.A.layout=SimpleLayout", 3, "mode must be append or write"],
    ["no filename", "log4perl.appender.A=Log::Log4perl::Appender::File\nlog4perl.appender.A.layout=SimpleLayout", 1, "has no filename"],
    ["an unknown parameter", "log4perl.appender.A=Log::Log4perl::Appender::File\nlog4perl.appender.A.filename=x\nlog4perl.appender.A.layout=SimpleLayout\nlog4perl.appender.A.fliename=y", 4, "unknown parameter 'fliename'"],
    ["settings without a type", "log4perl.appender.A.layout=SimpleLayout", 1, "has settings but no type"],
    ["an unsupported setting", "log4perl.filter.F=Log::Log4perl::Filter::LevelMatch", 1, "unsupported setting 'log4perl.filter.F'"],
    ["a bad additivity", "log4perl.additivity.service=maybe", 1, "additivity must be 0 or 1"],
    ["a bad date format", "log4perl.appender.A=Log::Log4perl::Appender::Screen\nlog4perl.appender.A.layout=PatternLayout\nlog4perl.appender.A.layout.ConversionPattern=%d{HH 'o''clock} %m%n", 3, "unmatched single quote"],
  ];
  for (const [what, text, line, message] of cases) {
    test(what, () => {
      const e = error(text);
      expect(e.message).toContain(message);
      expect(e.line).toBe(line);
    });
  }
});
