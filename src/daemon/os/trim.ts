/**
 * Give back the executable's code pages that start-up touched and the
 * daemon no longer runs (Linux). A compiled cfkd is one ~110 MB file; at
 * start-up it touches ~30 MB of its code (the runtime's module loader, the
 * JIT, parsers), which then stays resident and counted in its PSS, though an
 * idle or steady daemon uses a few MB of it. MADV_DONTNEED on a private,
 * read-only, executable file mapping drops the page-table entries only: the
 * file is unchanged, and a page used again is faulted back in from the page
 * cache. Only the executable's own `r-xp` mappings are touched — never a
 * writable mapping, nor JavaScriptCore's read-only frozen one (dropping
 * that lost its contents and crashed cfkd in an earlier measurement).
 */
import { readFileSync } from "node:fs";
import { C, madvise } from "./libc.ts";

/** Drop the executable's resident code pages; returns how many bytes were advised. */
export function trimCode(execPath: string): number {
  if (process.platform !== "linux") return 0;
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return 0;
  }
  let total = 0;
  for (const m of codeMappings(smaps, execPath)) {
    if (madvise(m.start, m.end - m.start, C.MADV_DONTNEED) === null) total += Number(m.end - m.start);
  }
  return total;
}

/**
 * The executable's `r-xp` mappings with no anonymous page: a page the
 * process wrote to (copied on write) is Anonymous and would be lost. A
 * Private_Dirty page that is not Anonymous is the page cache's own page of a
 * file written recently (a fresh build not yet written back): dropping the
 * mapping of it loses nothing.
 */
export function codeMappings(smaps: string, execPath: string): { start: bigint; end: bigint }[] {
  const out: { start: bigint; end: bigint }[] = [];
  let cur: { start: bigint; end: bigint; clean: boolean } | null = null;
  const done = () => {
    if (cur?.clean) out.push({ start: cur.start, end: cur.end });
    cur = null;
  };
  for (const line of smaps.split("\n")) {
    // "start-end perms offset dev inode path", then "Key: value kB" lines
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      done();
      if (head[3] === "r-xp" && head[4] === execPath) cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), clean: true };
      continue;
    }
    const kv = /^Anonymous:\s+(\d+)/.exec(line);
    if (cur && kv && kv[1] !== "0") cur.clean = false;
  }
  done();
  return out;
}

/** after this long without a state change, a burst of work is over */
export const TRIM_QUIET_MS = 2000;
/** and no two trims closer than this: a crash-looping service must not cost a trim per respawn */
export const TRIM_GAP_MS = 10_000;

/**
 * Trim now, then again once each burst of activity is over: TRIM_QUIET_MS
 * after the last event `subscribe` reports (service state changes, console
 * connections ending), at most
 * once per TRIM_GAP_MS. One timer, armed only while a burst is under way, so
 * an idle daemon is never woken by it. Returns the stop function.
 */
export function trimAfterBursts(subscribe: (fn: () => void) => () => void, trim: () => void, clock: { after(ms: number, fn: () => void): () => void; nowMs(): number }): () => void {
  trim();
  let last = clock.nowMs();
  let cancel: (() => void) | null = null;
  const arm = () => {
    cancel?.();
    const wait = Math.max(TRIM_QUIET_MS, last + TRIM_GAP_MS - clock.nowMs());
    cancel = clock.after(wait, () => {
      cancel = null;
      trim();
      last = clock.nowMs();
    });
  };
  const unsubscribe = subscribe(arm);
  return () => {
    unsubscribe();
    cancel?.();
  };
}
