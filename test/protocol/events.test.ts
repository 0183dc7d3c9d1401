/** The wire lines of `command events` [ext], both ways. */
import { expect, test } from "bun:test";
import { eventFromWire, eventToWire, missedToWire } from "../../src/protocol/events.ts";

const at = Date.UTC(2026, 11, 2, 13, 37, 19, 123);

test("an event line: UTC time with ms, six tab-separated fields, and back", () => {
  const e = { at, name: "web1", from: "running", to: "fail", pid: 42, reason: "Exited with error 1" };
  expect(eventToWire(e)).toBe("2026-12-02T13:37:19.123Z\tweb1\trunning\tfail\t42\tExited with error 1");
  expect(eventFromWire(eventToWire(e))).toEqual({ kind: "change", ...e });
  const none = { ...e, pid: null, reason: "tab\there\nnewline" };
  expect(eventFromWire(eventToWire(none))).toEqual({ kind: "change", ...none, reason: "tab here newline" });
});

test("the missed line names no service and carries the count", () => {
  expect(missedToWire(1, at)).toBe("2026-12-02T13:37:19.123Z\t-\t\t\t\t1 event missed: this client reads too slowly");
  expect(eventFromWire(missedToWire(250, at))).toEqual({ kind: "missed", at, count: 250 });
});

test("lines that are not events parse to null", () => {
  for (const l of ["", "OK", "a\tb\tc", "yesterday\tweb\ta\tb\t\t"]) expect(eventFromWire(l)).toBeNull();
});
