/**
 * Issue 19, memory: cfkd gives back the code pages a burst of work touched
 * (src/daemon/os/trim.ts): which mappings, when, and that the process runs
 * on after it.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { codeMappings, trimAfterBursts, trimCode, TRIM_GAP_MS, TRIM_QUIET_MS } from "../../src/daemon/os/trim.ts";

const SMAPS = `00400000-00500000 r--p 00000000 08:01 42   /opt/cfk/cfkd
Private_Dirty:         0 kB
00500000-00900000 r-xp 00100000 08:01 42   /opt/cfk/cfkd
Rss:                1024 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
00900000-00a00000 r-xp 00500000 08:01 42   /opt/cfk/cfkd
Private_Dirty:         4 kB
Anonymous:             4 kB
00a00000-00b00000 rw-p 00600000 08:01 42   /opt/cfk/cfkd
00b00000-00c00000 r-xp 00700000 08:01 42   /opt/cfk/cfkd
Private_Dirty:        64 kB
Anonymous:             0 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 77   /usr/lib/libc.so.6
Private_Dirty:         0 kB
`;

test("only the executable's r-xp mappings without anonymous (written) pages are trimmed", () => {
  // the third is dirty in the page cache only (a fresh build): nothing of the process's own
  expect(codeMappings(SMAPS, "/opt/cfk/cfkd")).toEqual([
    { start: 0x500000n, end: 0x900000n },
    { start: 0xb00000n, end: 0xc00000n },
  ]);
  expect(codeMappings(SMAPS, "/elsewhere")).toEqual([]);
});

test("trims at once, then once a burst is over, never closer than the gap", () => {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const clock = { nowMs: () => now, after: (ms: number, fn: () => void) => (timers.push({ at: now + ms, fn }), () => timers.splice(timers.findIndex((t) => t.fn === fn), 1)) };
  const listeners: (() => void)[] = [];
  const trims: number[] = [];
  const stop = trimAfterBursts((fn) => (listeners.push(fn), () => listeners.splice(0)), () => trims.push(now), clock);
  const run = (to: number) => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > to) break;
      timers.shift();
      now = t.at;
      t.fn();
    }
    now = to;
  };
  expect(trims).toEqual([0]);
  // a burst right after start-up: one trim, no sooner than the gap
  for (let t = 100; t <= 1000; t += 100) run(t), listeners[0]!();
  run(TRIM_GAP_MS + TRIM_QUIET_MS + 1000);
  expect(trims).toEqual([0, TRIM_GAP_MS]);
  // much later: TRIM_QUIET_MS after the burst's last event
  run(100_000);
  listeners[0]!();
  run(200_000);
  expect(trims).toEqual([0, TRIM_GAP_MS, 100_000 + TRIM_QUIET_MS]);
  // nothing happens: no timer
  expect(timers).toHaveLength(0);
  stop();
});

test("a process runs on after its code pages are dropped", () => {
  const rss = () => Number(/^Rss:\s+(\d+)/m.exec(readFileSync("/proc/self/smaps_rollup", "utf8"))![1]);
  const before = rss();
  expect(trimCode(process.execPath)).toBeGreaterThan(0);
  expect(rss()).toBeLessThan(before);
  expect(JSON.parse(JSON.stringify({ a: [1, 2, 3] }))).toEqual({ a: [1, 2, 3] });
});
