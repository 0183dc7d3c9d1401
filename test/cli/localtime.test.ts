/**
 * Our zone reader must agree with the engine's (ICU) local time, in zones
 * with and without daylight saving, north and south, odd offsets, before
 * the first transition and after the last (the TZif footer rule).
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { loadUtcOffset, parsePosixTz, parseTzif } from "../../src/cli/localtime.ts";
import { localDate, relativeTime } from "../../src/cli/time.ts";

const ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Europe/Dublin", "Africa/Casablanca", "UTC"];
const read = async (p: string) => new Uint8Array(await Bun.file(p).arrayBuffer());

// Instants: every ~17 days from 1970 to 2100, plus both sides of each second near a few transitions.
const instants: number[] = [];
for (let t = 0; t < 4102444800; t += 17 * 86400 + 3607) instants.push(t);
for (const t of [1711846800, 1729990800, 2121901200, 2140045200]) instants.push(t - 1, t, t + 1);

function engineOffsets(tz: string): number[] {
  const script = `const ts = ${JSON.stringify(instants)}; console.log(JSON.stringify(ts.map((t) => -new Date(t * 1000).getTimezoneOffset() * 60)))`;
  const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, TZ: tz } });
  return JSON.parse(r.stdout.toString());
}

describe("zone files agree with the engine", () => {
  for (const zone of ZONES) {
    test.skipIf(!existsSync(`/usr/share/zoneinfo/${zone}`))(zone, async () => {
      const ours = await loadUtcOffset({ TZ: zone }, read);
      const expected = engineOffsets(zone);
      const got = instants.map((t) => ours(t));
      const diffs = instants.filter((_, i) => got[i] !== expected[i]).map((t) => new Date(t * 1000).toISOString());
      expect(diffs).toEqual([]);
    });
  }
});

test("POSIX rules: fixed, north, south, odd forms", () => {
  expect(parsePosixTz("UTC0")!(0)).toBe(0);
  expect(parsePosixTz("<+0530>-5:30")!(0)).toBe(19800);
  const ny = parsePosixTz("EST5EDT,M3.2.0,M11.1.0")!;
  expect(ny(Date.UTC(2030, 0, 15) / 1000)).toBe(-18000);
  expect(ny(Date.UTC(2030, 6, 15) / 1000)).toBe(-14400);
  // 2030-03-10 is the second Sunday of March: 02:00 EST = 07:00 UTC.
  expect(ny(Date.UTC(2030, 2, 10, 6, 59, 59) / 1000)).toBe(-18000);
  expect(ny(Date.UTC(2030, 2, 10, 7) / 1000)).toBe(-14400);
  const syd = parsePosixTz("AEST-10AEDT,M10.1.0,M4.1.0/3")!;
  expect(syd(Date.UTC(2030, 0, 15) / 1000)).toBe(39600);
  expect(syd(Date.UTC(2030, 6, 15) / 1000)).toBe(36000);
  const julian = parsePosixTz("XST3XDT,J60,J300")!; // Mar 1 .. Oct 27, never Feb 29
  expect(julian(Date.UTC(2032, 1, 29, 12) / 1000)).toBe(-10800);
  expect(julian(Date.UTC(2032, 2, 1, 12) / 1000)).toBe(-7200);
  for (const bad of ["", "5", "EST", "EST5EDT", "EST5EDT,M3.2.0", "EST5EDT,Q1,Q2", "EST5EDT,M3.2.0,M11.1.0,x"]) expect(parsePosixTz(bad)).toBeNull();
});

test("TZ forms: empty is UTC, a rule, a missing zone falls back to the engine, garbage files are refused", async () => {
  expect((await loadUtcOffset({ TZ: "" }, read))(1e9)).toBe(0);
  expect((await loadUtcOffset({ TZ: "EST5EDT,M3.2.0,M11.1.0" }, read))(Date.UTC(2030, 0, 1) / 1000)).toBe(-18000);
  const fallback = await loadUtcOffset({ TZ: "No/Such_Zone" }, read);
  expect(fallback(1e9)).toBe(-new Date(1e9 * 1000).getTimezoneOffset() * 60);
  expect(parseTzif(new TextEncoder().encode("not a zone file at all, really not one at all"))).toBeNull();
  expect(parseTzif(new Uint8Array(0))).toBeNull();
});

test("local dates and relative times in a fixed zone", () => {
  const paris = parsePosixTz("CET-1CEST,M3.5.0,M10.5.0/3")!;
  const t = Date.UTC(2009, 10, 11, 15, 16, 9) / 1000; // 16:16:09 in Paris
  expect(localDate(t, paris)).toBe("Wed Nov 11 16:16:09 2009");
  expect(localDate(Date.UTC(2009, 8, 3, 1) / 1000, paris)).toBe("Thu Sep  3 03:00:00 2009");
  const now = (t + 2) * 1000;
  expect(relativeTime(t, now, paris)).toBe(" 2 seconds ago");
  expect(relativeTime(t, (t + 125) * 1000, paris)).toBe(" 2 minutes ago");
  expect(relativeTime(t, (t + 5 * 3600) * 1000, paris)).toBe(" 5 hours ago");
  expect(relativeTime(t, (t + 86400 + 60) * 1000, paris)).toBe("yesterday");
  expect(relativeTime(t, (t + 3 * 86400) * 1000, paris)).toBe(" 3 days ago");
  expect(relativeTime(t, (t - 100) * 1000, paris)).toBe(" 0 seconds ago");
  // 23:30 to 00:30 the next day: one hour ago, not "yesterday".
  const late = Date.UTC(2009, 10, 11, 22, 30) / 1000;
  expect(relativeTime(late, (late + 3600) * 1000, paris)).toBe(" 1 hours ago");
});
