/**
 * Event latency (issue 16, acceptance 3). Run: node_modules/.bin/bun test/bench/events.bench.ts
 *
 * A service is started, killed with SIGKILL (cfkd respawns it) and stopped,
 * BENCH_CYCLES times (default 10). For every state change, how long after
 * cfkd recorded it (the event's own millisecond time) it reached:
 *   A. a raw console client following `command events`;
 *   B. the real `cfkctl events -f --json`, read from its stdout;
 * side by side with the peer it replaces:
 *   C. a script polling `command status` every 100 ms (the only way before):
 *      how late it saw each state it saw at all, and how many it never saw.
 * The target: every event within 10 ms (A and B).
 *
 * Then the cost of followers: cfkd's RSS with 1,000 more followers
 * connected (and A's latency with them listening), and with one follower
 * that never reads while a service with a 20 KB name flaps for 2 s.
 */
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { BUN, DaemonProcess, ROOT, rssMiB, waitFor } from "../harness.ts";
import { eventFromWire } from "../../src/protocol/events.ts";

const CYCLES = Number(process.env.BENCH_CYCLES ?? 10);
const POLL_MS = 100;

type Seen = { to: string; at: number; lateMs: number };

await using d = await DaemonProcess.start({ args: ["--max-connections", "2000"] });
await d.ok("service b cmd=sleep 100");
await d.ok("service b startwait_secs=0.05");

/** A raw console client following `command events service b`: each change, with how late it arrived, goes into `into`. */
async function followRaw(into: Seen[]): Promise<Socket> {
  const sock = connect(d.sock);
  await new Promise<void>((r) => sock.once("connect", () => r()));
  let buf = "";
  sock.on("data", (chunk) => {
    const now = Date.now();
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const e = eventFromWire(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (e?.kind === "change") into.push({ to: e.to, at: e.at, lateMs: now - e.at });
    }
  });
  sock.write("command events service b\r\n");
  return sock;
}

// A: raw follower
const raw: Seen[] = [];
const sock = await followRaw(raw);

// B: cfkctl events -f --json
const cli: Seen[] = [];
const ctl = Bun.spawn([BUN, join(ROOT, "src/cfkctl.ts"), "--address", d.sock, "events", "-f", "--json", "b"], { stdout: "pipe", stderr: "inherit" });
void (async () => {
  const dec = new TextDecoder();
  let b = "";
  for await (const chunk of ctl.stdout as ReadableStream<Uint8Array>) {
    const now = Date.now();
    b += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = b.indexOf("\n")) >= 0) {
      const e = JSON.parse(b.slice(0, nl)) as { to: string; at: string };
      b = b.slice(nl + 1);
      const at = Date.parse(e.at);
      cli.push({ to: e.to, at, lateMs: now - at });
    }
  }
})();

// C: a status poller
const polled: { state: string; t: number }[] = [];
let polling = true;
const poller = (async () => {
  await using c = await d.client();
  let last = "";
  while (polling) {
    const state = (await c.ok("command status service b"))[0]!.split("\t")[1]!;
    if (state !== last) polled.push({ state, t: Date.now() });
    last = state;
    await Bun.sleep(POLL_MS);
  }
})();

// let both followers register: the first change must reach them
await waitFor(async () => (await d.ok("command events service b -n 0")) !== undefined, "cfkd");
await Bun.sleep(300);

const lastTo = (to: string, n: number) => waitFor(() => (raw.filter((e) => e.to === to).length >= n ? true : null), `${n}× ${to}`, 10_000, 2);
const t0 = performance.now();
for (let i = 1; i <= CYCLES; i++) {
  await d.ok("command start service b");
  await lastTo("running", 2 * i - 1);
  const pid = Number((await d.status("b"))[2]);
  process.kill(pid, "SIGKILL");
  await lastTo("running", 2 * i);
  await d.ok("command stop service b");
  await lastTo("stopped", i);
}
const secs = (performance.now() - t0) / 1000;
await waitFor(() => (cli.length >= raw.length ? true : null), "cfkctl to catch up", 5000);
polling = false;
await poller;
ctl.kill("SIGINT");
await ctl.exited;
sock.destroy();

// the poller's lateness: from the latest change to the state it saw, to when it saw it
const pollLate = polled.flatMap((p) => {
  const e = raw.filter((r) => r.to === p.state && r.at <= p.t).at(-1);
  return e ? [p.t - e.at] : [];
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const row = (label: string, late: number[], seen: number) =>
  `  ${label.padEnd(34)} ${String(seen).padStart(4)} of ${raw.length}   median ${pct(late, 50).toFixed(0).padStart(3)} ms   p99 ${pct(late, 99).toFixed(0).padStart(3)} ms   max ${Math.max(...late).toFixed(0).padStart(3)} ms`;

const expected = CYCLES * 7;
console.log(`event latency: ${CYCLES} cycles of start / kill -9 / stop, ${raw.length} changes (expected ${expected}) in ${secs.toFixed(1)} s`);
console.log(row("A. command events (raw socket)", raw.map((e) => e.lateMs), raw.length));
console.log(row("B. cfkctl events -f --json", cli.map((e) => e.lateMs), cli.length));
console.log(row(`C. polling status every ${POLL_MS} ms`, pollLate, pollLate.length));
const order = raw.map((e) => e.to).join(",") === cli.map((e) => e.to).join(",");
console.log(`  same sequence in A and B: ${order ? "yes" : "NO"}; within 10 ms: A ${raw.every((e) => e.lateMs <= 10) ? "yes" : "no"}, B ${cli.every((e) => e.lateMs <= 10) ? "yes" : "no"}`);

// --- the cost of followers
const FOLLOWERS = 1000;
const rss0 = rssMiB(d.pid);
const many = await Promise.all(
  Array.from({ length: FOLLOWERS }, async () => {
    const s = connect(d.sock);
    await new Promise<void>((r) => s.once("connect", () => r()));
    s.on("data", () => {});
    s.write("command events\r\n");
    return s;
  }),
);
await Bun.sleep(500);
const rss1 = rssMiB(d.pid);
// A again, with 1,000 followers listening
raw.length = 0;
const sock2 = await followRaw(raw);
await Bun.sleep(200);
for (let i = 1; i <= 3; i++) {
  await d.ok("command start service b");
  await lastTo("running", i);
  await d.ok("command stop service b");
  await lastTo("stopped", i);
}
const withMany = raw.map((e) => e.lateMs);
for (const s of many) s.destroy();
sock2.destroy();

// one follower that never reads, a flapping service with a 20 KB name: RSS
// growth while it flaps for 2 s, without and then with that follower
const name = "n" + "x".repeat(20_000);
await d.ok(`service ${name} cmd=true`);
await d.ok(`service ${name} respawn_on_stop=1`);
const restarts = async () => Number(JSON.parse((await d.ok(`command info service ${name}`))[0]!).restarts);
async function flap(): Promise<{ events: number; grewMiB: number }> {
  const r0 = await restarts();
  const m0 = rssMiB(d.pid);
  await d.ok(`command start service ${name}`);
  await Bun.sleep(2000);
  await d.ok(`command stop service ${name}`);
  return { events: 2 * ((await restarts()) - r0), grewMiB: rssMiB(d.pid) - m0 };
}
const alone = await flap();
const stuck = connect(d.sock);
await new Promise<void>((r) => stuck.once("connect", () => r()));
stuck.write("command events\r\n");
stuck.pause();
await Bun.sleep(300);
const withStuck = await flap();
stuck.destroy();
console.log(`followers: cfkd RSS ${rss0.toFixed(1)} MiB → ${rss1.toFixed(1)} MiB with ${FOLLOWERS} more followers (${(((rss1 - rss0) * 1024) / FOLLOWERS).toFixed(1)} KiB each)`);
console.log(row(`A. with ${FOLLOWERS} followers listening`, withMany, withMany.length));
console.log(`  a service flapping for 2 s (20 KB events): ${alone.events} events, RSS +${alone.grewMiB.toFixed(1)} MiB with no follower;`);
console.log(`  ${withStuck.events} events, RSS +${withStuck.grewMiB.toFixed(1)} MiB with a follower that never reads (what it may hold: 64 KiB + the socket's buffer)`);
