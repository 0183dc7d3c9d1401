/**
 * PatternLayout as Log4perl renders it (expected texts checked against
 * Log::Log4perl 1.57), with %S and our meaning of %F/%L.
 */
import { expect, test } from "bun:test";
import { compilePattern, simpleLayout, type Layout, type RecordInfo } from "../../src/daemon/logging/pattern.ts";
import { compileDateFormat } from "../../src/daemon/logging/datefmt.ts";
import { hostname } from "node:os";

// local time, so the expectations hold in any time zone
const WHEN = new Date(2024, 0, 2, 3, 4, 5, 678);
const info = (o: Partial<RecordInfo> = {}): RecordInfo => ({ category: "service.web.out", level: "INFO", time: WHEN, pid: 4242, source: "stdout", ...o });

function layout(p: string): Layout {
  const l = compilePattern(p);
  if (typeof l === "string") throw new Error(l);
  return l;
}

test.each([
  ["%S %p %L %c - %m%n", "4242 INFO 0 service.web.out - hello\n"],
  ["%d [%S] %p %c - %m%n", "2024/01/02 03:04:05 [4242] INFO service.web.out - hello\n"],
  ["%-6p|%.3c|%c{2}|%5L|%F{1}|%%|%p{1}|%m%n", "INFO  |ser|web.out|    0|stdout|%|I|hello\n"],
  ["%7p|%-10.4c|", "   INFO|serv      |"],
  ["%Z %m", "%Z hello"],
  ["a\\nb %m\\r", "a\nb hello\r"],
  ["%H %P", `${hostname()} ${process.pid}`],
  ["%x %X{user} %t %C %M", "[undef] [undef] N/A cfkd -"],
])("%s", (pattern, expected) => {
  expect(layout(pattern).render(info(), "hello")).toBe(expected);
});

test("%S is - for the daemon's own events; %F tells where a line came from", () => {
  const l = layout("%S %F %c %m");
  expect(l.render(info({ pid: null, source: "cfkd", category: "cfkd" }), "started")).toBe("- cfkd cfkd started");
  expect(l.render(info({ source: "stderr" }), "oops")).toBe("4242 stderr service.web.out oops");
});

test("SimpleLayout", () => {
  expect(simpleLayout.render(info({ level: "ERROR" }), "x")).toBe("ERROR - x\n");
});

test("a plain %m lets batches be rendered around the message; a reshaped one does not", () => {
  expect(layout("%S %p %c - %m%n").around!(info())).toEqual(["4242 INFO service.web.out - ", "\n"]);
  expect(layout("%-20m|").around).toBeNull();
  expect(layout("%m %m").around).toBeNull();
  expect(layout("%p only").around).toBeNull();
});

test.each([
  ["yyyy/MM/dd HH:mm:ss", "2024/01/02 03:04:05"],
  ["ISO8601", "2024-01-02 03:04:05,678"],
  ["ABSOLUTE", "03:04:05,678"],
  ["DATE", "02 Jan 2024 03:04:05,678"],
  ["APACHE", "[Tue Jan 02 03:04:05 2024]"],
  ["yy-M-d h:m:s a EEEE MMMM", "24-1-2 3:4:5 AM Tuesday January"],
  ["'at' HH 'o''clock' SSSSSS", "at 03 o'clock 678000"],
  ["D", "2"],
])("%%d{%s}", (format, expected) => {
  const f = compileDateFormat(format);
  if (typeof f === "string") throw new Error(f);
  expect(f(WHEN)).toBe(expected);
});
