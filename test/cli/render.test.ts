/** The human and JSON forms of cfkctl's output, from the shared records. */
import { expect, test } from "bun:test";
import type { StatusRecord } from "../../src/protocol/status.ts";
import { descLine, pidsText, proxyText, statusLine, tailFromWire, tailLine, uniqueByName } from "../../src/cli/render.ts";
import { selectors } from "../../src/cli/svcref.ts";
import { statements } from "../../src/cli/load.ts";
import { CliError } from "../../src/cli/errors.ts";

const utc = { nowMs: Date.UTC(2009, 10, 11, 16, 16, 11), offset: () => 0 };
const rec = (o: Partial<StatusRecord>): StatusRecord => ({
  name: "svc1",
  state: "stopped",
  pid: null,
  start_time: null,
  stop_time: null,
  proxy: "",
  fail_reason: "",
  running_cmd: "",
  ...o,
});
const t0 = Date.UTC(2009, 10, 11, 16, 16, 9) / 1000;

test("status: %-8s %-20s %15s (%s) with the last start or stop; %-8s %-30s without a time", () => {
  expect(statusLine(rec({ state: "running", pid: 42, start_time: t0 }), utc, false)).toBe(
    // state(8) name(20) then " 2 seconds ago" right-aligned in 15
    "running  svc1                   2 seconds ago (Wed Nov 11 16:16:09 2009)",
  );
  expect(statusLine(rec({}), utc, false)).toBe(`stopped  ${"svc1".padEnd(30)}`);
  // start and stop both known: the later one wins
  expect(statusLine(rec({ state: "stopped", start_time: t0 - 3600, stop_time: t0 }), utc, false)).toContain("(Wed Nov 11 16:16:09 2009)");
  expect(statusLine(rec({ state: "running", start_time: t0, stop_time: t0 - 3600 }), utc, false)).toContain("(Wed Nov 11 16:16:09 2009)");
  // long names and states push the columns, as sprintf does
  expect(statusLine(rec({ name: "a-very-long-service-name-indeed", state: "starting", start_time: t0 }), utc, false)).toBe(
    "starting a-very-long-service-name-indeed   2 seconds ago (Wed Nov 11 16:16:09 2009)",
  );
});

test("status colours: green up, yellow stopping/stopped, red failures; padding outside the escape codes", () => {
  const green = statusLine(rec({ state: "running", start_time: t0 }), utc, true);
  expect(green.startsWith("\x1b[1;32mrunning\x1b[0m  svc1")).toBe(true);
  expect(statusLine(rec({ state: "stopped" }), utc, true).startsWith("\x1b[1;33mstopped\x1b[0m  svc1")).toBe(true);
  for (const s of ["fail", "fatal", "backoff"]) expect(statusLine(rec({ state: s }), utc, true).startsWith(`\x1b[1;31m${s}\x1b[0m`)).toBe(true);
  expect(statusLine(rec({ state: "running", start_time: t0 }), utc, false)).not.toContain("\x1b");
});

test("desc: empty fields left out, quotes escaped", () => {
  expect(descLine({ name: "web1", tags: ["web", "prod"], desc: 'the "main" site', proxy: "", cmd: "sleep 100" })).toBe(
    'web1: tags="web, prod" desc="the \\"main\\" site" cmd="sleep 100"',
  );
  expect(descLine({ name: "bare", tags: [], desc: "", proxy: "p1", cmd: "" })).toBe('bare: proxy="p1"');
});

test("pids and proxystatus", () => {
  expect(pidsText([rec({ name: "a", pid: 12 }), rec({ name: "b" })])).toBe("a: 12\nb: ");
  expect(proxyText([{ name: "p1", status: "up", pid: 77 }], false)).toBe(`up     ${"p1".padEnd(20)}     77`);
});

test("records are unique by name and sorted", () => {
  const list = uniqueByName([rec({ name: "b", pid: 1 }), rec({ name: "a" }), rec({ name: "b", pid: 2 })]);
  expect(list.map((r) => [r.name, r.pid])).toEqual([
    ["a", null],
    ["b", 1],
  ]);
});

test("tail lines", () => {
  expect(tailLine(tailFromWire("web1\tout\thello\tworld"))).toBe("web1: hello\tworld");
  expect(tailLine(tailFromWire("web1\terr\toops"))).toBe("web1 (stderr): oops");
});

test("svcrefs become one wire selector each; all swallows the rest; bad refs are usage errors", () => {
  expect(selectors([])).toEqual(["all"]);
  expect(selectors(["web1", "@prod"])).toEqual(["service web1", "tag prod"]);
  expect(selectors(["web1", "all"])).toEqual(["all"]);
  for (const bad of ["@", "", "a b", "a#b"]) {
    expect(() => selectors([bad])).toThrow(CliError);
  }
});

test("load: blank lines and comments skipped, ${BASE} replaced, lines numbered as in the file", () => {
  const text = "# header\n\nservice a cmd=${BASE}/run.sh\r\n   # indented comment\nservice a tags=x # trailing comment\n   \n";
  expect(statements(text, "/srv/app")).toEqual([
    { line: 3, text: "service a cmd=/srv/app/run.sh" },
    { line: 5, text: "service a tags=x # trailing comment" },
  ]);
});
