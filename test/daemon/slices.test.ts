/**
 * Issue 19, scale: an action over many services runs in slices. Another
 * client is answered while it runs, a change from another client waits
 * behind it, and the connection that asked gets its replies in order.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, waitFor, type Client } from "../harness.ts";

const N = 400;

async function declare(c: Client, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`service s${i} cmd=sleep 1000`);
  c.send(lines.map((l) => l + "\n").join(""));
  for (let i = 0; i < n; i++) expect((await c.next(20_000)).error).toBeUndefined();
}

test("start all of many services: others are answered meanwhile, changes wait their turn, replies stay in order", async () => {
  await using d = await DaemonProcess.start();
  await using a = await d.client();
  await using b = await d.client();
  await using w = await d.client();
  await declare(a, N);

  const order: string[] = [];
  const note = (what: string) => (r: { error?: string; body: string[] }) => (order.push(what), r);
  // a: start all, then status, pipelined on one connection
  a.send("command start all\ncommand status\n");
  const started = a.next(30_000).then(note("start all"));
  const status = a.next(30_000).then(note("status"));
  // b: a read-only request, answered while the spawns go on
  await Bun.sleep(1); // a's requests are sent first
  const version = b.request("command version", 30_000).then(note("version"));
  // w: a change, run after start all as if it had run in one go
  const stop = w.request("command stop service s0", 30_000).then(note("stop s0"));

  const [rStart, rStatus, rVersion, rStop] = await Promise.all([started, status, version, stop]);
  expect(rStart.body).toEqual([`done ${N}`]);
  expect(rVersion.error).toBeUndefined();
  expect(rStop.body).toEqual(["done 1"]);
  expect(order.indexOf("version")).toBeLessThan(order.indexOf("start all"));
  expect(order.indexOf("start all")).toBeLessThan(order.indexOf("stop s0"));
  expect(order.indexOf("start all")).toBeLessThan(order.indexOf("status"));
  // the status after start all on the same connection sees every service started
  const states = rStatus.body.map((l) => l.split("\t"));
  expect(states).toHaveLength(N);
  for (const s of states) if (s[0] !== "s0") expect(["starting", "running"]).toContain(s[1]!);
  // the stop of s0 was answered after start all: s0 ends stopped (its exit may still be on its way)
  await waitFor(async () => (await d.status("s0"))[1] === "stopped", "s0 stopped");
  await a.request("command stop all", 30_000);
}, 60_000);
