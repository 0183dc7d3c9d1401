/**
 * The event stream's client queue (sse.ts), in-process: a client that does
 * not read holds bounded memory and, when it reads again, gets a fresh
 * catch-up instead of what it missed; closing ends the stream.
 */
import { expect, test } from "bun:test";
import { SseClient, sseEvent } from "../../src/daemon/http/sse.ts";

const dec = new TextDecoder();

test("events are framed one data line each (JSON holds no raw newline)", () => {
  expect(sseEvent("change", { a: "x\ny" })).toBe('event: change\ndata: {"a":"x\\ny"}\n\n');
});

test("a client that does not read is marked behind, then caught up with one snapshot", async () => {
  let closed = false;
  let catchUps = 0;
  const c = new SseClient(
    () => (catchUps++, sseEvent("snapshot", { n: catchUps })),
    () => (closed = true),
  );
  const reader = c.body(sseEvent("snapshot", { n: 0 })).getReader();
  expect(dec.decode((await reader.read()).value)).toBe(sseEvent("snapshot", { n: 0 }));
  const big = sseEvent("change", { pad: "x".repeat(1000) });
  for (let i = 0; i < 10_000; i++) c.send(big); // 10 MB offered, none read
  expect(c.congested).toBe(true);
  const next = dec.decode((await reader.read()).value);
  expect(next).toBe(sseEvent("snapshot", { n: 1 })); // the backlog was dropped, not buffered
  expect(catchUps).toBe(1);
  expect(c.congested).toBe(false);
  c.send(sseEvent("change", { n: 2 }));
  expect(dec.decode((await reader.read()).value)).toBe(sseEvent("change", { n: 2 }));
  await reader.cancel();
  expect(closed).toBe(true);
});

test("close() ends a stream that waits for events", async () => {
  const c = new SseClient(() => "", () => {});
  const reader = c.body(": hello\n\n").getReader();
  await reader.read();
  const pending = reader.read();
  c.close();
  expect((await pending).done).toBe(true);
});
