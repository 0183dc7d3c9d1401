/** The tail ring's bounds and a follower's drop accounting. */
import { expect, test } from "bun:test";
import { Tail, MAX_LINES } from "../../src/daemon/logging/tail.ts";
import { LineBatch } from "../../src/daemon/logging/lines.ts";

const all = () => true;

test("the ring keeps the last MAX_LINES lines of each service", () => {
  const t = new Tail();
  for (let i = 0; i < 3000; i++) t.add("a", "out", LineBatch.of(`line ${i}`));
  t.add("b", "err", LineBatch.of("b's only line"));
  const lines = t.recent((n) => n === "a", 5000);
  expect(lines).toHaveLength(MAX_LINES);
  expect(lines[0]).toBe(`a\tout\tline ${3000 - MAX_LINES}`);
  expect(t.recent(all, 2)).toEqual(["a\tout\tline 2999", "b\terr\tb's only line"]);
});

test("the ring holds a bounded number of bytes, whatever the line length", () => {
  const t = new Tail();
  const big = "x".repeat(10_000);
  for (let i = 0; i < 500; i++) t.add("a", "out", LineBatch.of(`${i} ${big}`));
  const kept = t.recent(all, 1000);
  expect(kept.length).toBeLessThanOrEqual(27); // 256 KiB of 10 KB lines, plus the newest
  expect(kept.at(-1)).toStartWith("a\tout\t499 ");
});

test("a congested follower drops lines and is told how many before the next one", () => {
  const t = new Tail();
  const got: string[] = [];
  let congested = false;
  const stop = t.follow((n) => n === "a", { get congested() { return congested; }, send: (s) => got.push(...s) });
  t.add("a", "out", LineBatch.of("1"));
  t.add("b", "out", LineBatch.of("not followed"));
  congested = true;
  t.add("a", "out", new LineBatch(new TextEncoder().encode("2\n3\n"), [0, 1, 2, 3]));
  t.add("a", "err", LineBatch.of("4"));
  congested = false;
  t.add("a", "out", LineBatch.of("5"));
  stop();
  t.add("a", "out", LineBatch.of("6"));
  expect(got).toEqual(["a\tout\t1", "-\terr\t3 lines dropped: this client reads too slowly", "a\tout\t5"]);
  expect(t.followerCount).toBe(0);
});
