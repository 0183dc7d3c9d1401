/**
 * Issue 18 acceptance 4: the HTTP face's cost, side by side in one run.
 * - GET /metrics with 200 running services: median and p90 (target: median ≤ 20 ms);
 * - the console's `command status` round-trip (200 services): alone, while
 *   Prometheus scrapes every second, and with 1,000 event streams open
 *   that do not read while services flap (target: unchanged);
 * - idle CPU of cfkd with the HTTP face on and no client, against one
 *   without it (target: 0 ticks);
 * - cfkd's RSS before and after the 1,000 streams.
 *
 *   node_modules/.bin/bun test/bench/http.bench.ts [seconds per phase, default 5]
 */
import { Client, DaemonProcess, freePort, procStat, rssMiB, waitFor } from "../harness.ts";

const SECS = Number(process.argv[2] ?? 5);
const N = 200;

const at = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * q))]!;
const fmt = (a: number[]) => `median ${at(a, 0.5).toFixed(2)} ms  p90 ${at(a, 0.9).toFixed(2)} ms  p99 ${at(a, 0.99).toFixed(2)} ms  (${a.length} samples)`;

/** 200 running services, and `flap` (declared, started later: it fails every 0.2 s). */
async function withServices(d: DaemonProcess): Promise<void> {
  await using c = await d.client();
  for (let i = 0; i < N; i++) await c.ok(`service s${String(i).padStart(3, "0")} cmd=sleep 3600`);
  await c.ok("service flap cmd=sh -c 'sleep 0.2; exit 1'");
  await c.ok("service flap startwait_secs=0.1");
  await c.ok("service flap respawn_max_retries=1000");
  for (let i = 0; i < N; i++) await c.ok(`command start service s${String(i).padStart(3, "0")}`);
  await waitFor(async () => (await c.ok("command status")).filter((l) => l.split("\t")[1] === "running").length >= N, "200 services running", 30_000, 100);
}

/** `command status` round-trips on one connection for `secs`. */
async function statusRoundTrips(c: Client, secs: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + secs * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await c.ok("command status");
    out.push(performance.now() - t);
  }
  return out;
}

function cpuTicks(pid: number): number {
  return procStat(pid)!.cpuTicks;
}

const port = await freePort();
await using d = await DaemonProcess.start({ args: ["--http", `127.0.0.1:${port}`] });
await using plain = await DaemonProcess.start();
const base = `http://127.0.0.1:${port}`;

await withServices(d);
await withServices(plain);
// idle: 200 running services, nobody asking; the face alone must cost nothing
await Bun.sleep(1000);
const idle0 = [cpuTicks(d.pid), cpuTicks(plain.pid)];
await Bun.sleep(SECS * 1000);
const idle = [cpuTicks(d.pid) - idle0[0]!, cpuTicks(plain.pid) - idle0[1]!];
console.log(`idle CPU over ${SECS} s, ${N} services, no client: with --http ${idle[0]} ticks, without ${idle[1]} ticks   target 0`);
await plain[Symbol.asyncDispose](); // its 200 processes would be read by every scrape below

await using c = await d.client();

const scrapes: number[] = [];
for (let i = 0; i < 100; i++) {
  const t = performance.now();
  const r = await fetch(`${base}/metrics`);
  await r.text();
  scrapes.push(performance.now() - t);
}
console.log(`GET /metrics, ${N + 1} services:            ${fmt(scrapes)}   target median ≤ 20 ms`);

const alone = await statusRoundTrips(c, SECS);
console.log(`command status, alone:                ${fmt(alone)}`);

let scraping = true;
const scraper = (async () => {
  while (scraping) {
    await (await fetch(`${base}/metrics`)).text();
    await Bun.sleep(1000);
  }
})();
const whileScraped = await statusRoundTrips(c, SECS);
scraping = false;
await scraper;
console.log(`command status, scraped every 1 s:    ${fmt(whileScraped)}`);

// 1,000 event streams whose clients never read (the worst kind), while `flap` flaps
await c.ok("command start service flap");
const rss0 = rssMiB(d.pid);
const streams: Awaited<ReturnType<typeof Bun.connect>>[] = [];
for (let i = 0; i < 1000; i++) {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data(s) { s.pause(); } } });
  s.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  streams.push(s);
}
await waitFor(async () => /^cfkd_http_event_streams 1000$/m.test(await (await fetch(`${base}/metrics`)).text()), "1000 streams open", 20_000, 200);
const withStreams = await statusRoundTrips(c, SECS);
console.log(`command status, 1000 idle streams:    ${fmt(withStreams)}`);
console.log(`cfkd RSS: ${rss0.toFixed(1)} MiB before the streams, ${rssMiB(d.pid).toFixed(1)} MiB with them`);
const flaps = (await c.ok("command status service flap"))[0]!;
for (const s of streams) s.terminate();
console.log(`(flap during the streams: ${flaps.split("\t")[1]})`);
