/**
 * Bytes to lines: whatever way a stream is cut into chunks, the lines come
 * out the same — joined, split at 64 KiB, CR-LF handled, the rest flushed.
 */
import { expect, test } from "bun:test";
import { BatchSplitter, LineSplitter, MAX_LINE, drainBatches, type LineBatch } from "../../src/daemon/logging/lines.ts";

const enc = new TextEncoder();

/** Feed `text` cut at the given offsets; the lines that come out. */
function split(text: string | Uint8Array, cuts: number[]): string[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const out: string[] = [];
  const s = new BatchSplitter((b) => {
    for (let i = 0; i < b.count; i++) out.push(b.text(i));
  });
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    s.push(bytes.subarray(at, c));
    at = c;
  }
  s.end();
  return out;
}

test("partial lines are joined, the unterminated rest flushed at the end", () => {
  expect(split("one\ntw", [])).toEqual(["one", "tw"]);
  expect(split("one\ntwo\nthr", [2, 5, 6, 9])).toEqual(["one", "two", "thr"]);
  expect(split("\n\na\n", [1])).toEqual(["", "", "a"]);
});

test("CR-LF endings lose their CR, also when the CR ends a chunk", () => {
  expect(split("a\r\nb\r\nc\rd\n", [2, 5])).toEqual(["a", "b", "c\rd"]);
  expect(split("unfinished\r", [])).toEqual(["unfinished\r"]);
});

test("a multi-byte character cut between chunks arrives whole", () => {
  expect(split("héllo wörld\n€\n", [2, 9, 15])).toEqual(["héllo wörld", "€"]);
});

test("long lines are cut into 64 KiB pieces, wherever the chunks end", () => {
  const long = "x".repeat(MAX_LINE * 2 + 10);
  for (const cuts of [[], [100], [MAX_LINE], [MAX_LINE + 1, MAX_LINE * 2 + 3], [70_000, 70_001, 140_000]]) {
    const lines = split(`${long}\nend\n`, cuts);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE, MAX_LINE, 10, 3]);
  }
  expect(split("y".repeat(MAX_LINE) + "\n", [5])).toEqual(["y".repeat(MAX_LINE)]);
});

test("random chunking never changes the lines", () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const lines: string[] = [];
  for (let i = 0; i < 500; i++) lines.push("é".repeat(rnd(40)) + "z".repeat(rnd(3000)) + (rnd(5) === 0 ? "\r" : ""));
  const text = lines.join("\n") + "\n";
  const bytes = enc.encode(text);
  const expected = lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  for (let round = 0; round < 20; round++) {
    const cuts: number[] = [];
    for (let at = rnd(5000); at < bytes.length; at += 1 + rnd(8000)) cuts.push(at);
    expect(split(bytes, cuts)).toEqual(expected);
  }
});

test("a batch keeps the chunk it came from: no copy of complete lines", () => {
  const chunk = enc.encode("a\nb\nc");
  const seen: LineBatch[] = [];
  new BatchSplitter((b) => seen.push(b)).push(chunk);
  expect(seen).toHaveLength(1);
  expect(seen[0]!.buf).toBe(chunk);
  expect(seen[0]!.count).toBe(2);
});

test("LineSplitter gives text lines", () => {
  const out: string[] = [];
  const s = new LineSplitter((l) => void out.push(l));
  expect(s.push(enc.encode("x\ny"))).toBeUndefined();
  expect(s.end()).toBeUndefined();
  expect(out).toEqual(["x", "y"]);
});

test("LineSplitter hands back the consumer's back-pressure promise, once", () => {
  const backedUp = Promise.resolve();
  const s = new LineSplitter((l) => (l === "b" ? backedUp : undefined));
  expect(s.push(enc.encode("a\nb\nc\n"))).toBe(backedUp);
  expect(s.push(enc.encode("d\n"))).toBeUndefined();
  s.push(enc.encode("b"));
  expect(s.end()).toBe(backedUp);
});

test("drainBatches waits for the consumer before reading more", async () => {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        pulls++;
        if (pulls > 1000) c.close();
        else c.enqueue(enc.encode(`line${pulls}`.padEnd(4096) + "\n")); // 4 KB chunks: read-ahead is counted in bytes
      },
    },
    { highWaterMark: 0 },
  );
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const got: string[] = [];
  const done = drainBatches(stream, (b) => {
    got.push(b.text(0));
    return got.length === 1 ? gate : undefined;
  });
  await Bun.sleep(50);
  expect(got.map((l) => l.trim())).toEqual(["line1"]);
  expect(pulls).toBeLessThan(50); // a little read-ahead, not the whole stream
  release();
  await done;
  expect(got).toHaveLength(1000);
  expect(got.at(-1)!.trim()).toBe("line1000");
});
