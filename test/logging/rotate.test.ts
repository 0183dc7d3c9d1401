/**
 * Size-based rotation from a Log4perl config (Log::Dispatch::FileRotate with
 * size and max): the file becomes file.1, file.1 file.2, …; at most `max` old
 * files; nothing lost in between.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { translate } from "../../src/daemon/logging/translate.ts";
import { BUN, DaemonProcess, FIXTURES, tempDir, waitFor } from "../harness.ts";

const conf = (file: string, extra = "") =>
  `log4perl.rootLogger=INFO, R\nlog4perl.appender.R=Log::Dispatch::FileRotate\nlog4perl.appender.R.filename=${file}\n${extra}log4perl.appender.R.layout=PatternLayout\nlog4perl.appender.R.layout.ConversionPattern=%m%n\n`;

test("translate: size (bytes, K, M, G) and max; both checked", () => {
  const ok = translate(conf("/tmp/x.log", "log4perl.appender.R.size=10M\nlog4perl.appender.R.max=5\n"), "/h", {});
  expect(ok.ok && ok.value.appenders[0]).toMatchObject({ kind: "file", rotate: { size: 10 * 1024 * 1024, max: 5 } });
  const dflt = translate(conf("/tmp/x.log", "log4perl.appender.R.size=4096\n"), "/h", {});
  expect(dflt.ok && dflt.value.appenders[0]).toMatchObject({ rotate: { size: 4096, max: 1 } });
  expect(translate(conf("/tmp/x.log"), "/h", {})).toMatchObject({ ok: false, message: expect.stringContaining("needs size=BYTES") });
  expect(translate(conf("/tmp/x.log", "log4perl.appender.R.size=big\n"), "/h", {})).toMatchObject({ ok: false });
  expect(translate(conf("/tmp/x.log", "log4perl.appender.R.size=1K\nlog4perl.appender.R.max=0\n"), "/h", {})).toMatchObject({ ok: false, message: expect.stringContaining("max must be") });
  expect(translate(conf("/tmp/x.log", "log4perl.appender.R.size=1K\nlog4perl.appender.R.DatePattern=yyyy-MM-dd\n"), "/h", {})).toMatchObject({ ok: false, message: expect.stringContaining("unknown parameter 'DatePattern'") });
});

test("a service's output rotates at size, keeps max old files, and loses no line", async () => {
  using t = tempDir();
  const log = join(t.path, "svc.log");
  const cfg = join(t.path, "log.config");
  writeFileSync(cfg, conf(log, "log4perl.appender.R.size=8K\nlog4perl.appender.R.max=2\n"));
  await using d = await DaemonProcess.start({ args: ["-l", cfg] });
  // 600 lines of 100 bytes, 20 every 20 ms: 60 KB in ~0.6 s
  await d.ok(`service w cmd=${BUN} ${join(FIXTURES, "pacedwriter.ts")} 600 20 20`);
  await d.ok("service w respawn_on_stop=0");
  await d.ok("command start service w");
  await waitFor(async () => (await d.status("w"))[1] === "stopped", "writer done", 10000);
  await waitFor(() => existsSync(`${log}.2`) && readFileSync(log, "utf8").includes("child w exited"), "rotated, last line written", 5000);
  expect(existsSync(`${log}.3`)).toBe(false);
  for (const f of [`${log}.1`, `${log}.2`]) expect(statSync(f).size).toBeGreaterThanOrEqual(8 * 1024);
  // the newest lines are all there, in order, across the files
  const text = [`${log}.2`, `${log}.1`, log].map((f) => readFileSync(f, "utf8")).join("");
  const nums = [...text.matchAll(/^(\d{18})x/gm)].map((m) => Number(m[1]));
  expect(nums.at(-1)).toBe(599);
  for (let i = 1; i < nums.length; i++) expect(nums[i]).toBe(nums[i - 1]! + 1);
});

test("the recommended examples/log.config is valid: timestamps, FileRotate 10M × 5", () => {
  const text = readFileSync(join(import.meta.dir, "../../examples/log.config"), "utf8");
  const p = translate(text, "/h", {});
  expect(p.ok && p.value.appenders[0]).toMatchObject({ kind: "file", path: "/h/cfkd.log", rotate: { size: 10 * 1024 * 1024, max: 5 } });
  expect(text).toContain(readFileSync(join(import.meta.dir, "../../docs/logging.md"), "utf8").split("log4perl.appender.ALL.layout.ConversionPattern=%d")[1]!.split("\n")[0]!);
});
