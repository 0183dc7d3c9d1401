/**
 * Zero-downtime rolling restarts (issue 15, acceptance 3).
 * Run: node_modules/.bin/bun test/bench/rolling.bench.ts
 * Needs `wrk` (Debian: apt-get install -y wrk) and python3.
 *
 * Under a steady load (wrk, loopback, a new connection per request), cfkd
 * rolls four workers BENCH_ROLLS times (default 5) with `restart_rolling`,
 * one at a time, each once the previous one runs; wrk is stopped (SIGINT:
 * it prints its totals) when the last roll is done, so the figures cover
 * the rolls and nothing else. The same supervisor and the same sequencing
 * for both setups; only the socket differs:
 *   ours      the four workers accept on one socket cfkd holds (tie_stdin_to);
 *   reuseport each worker binds the port itself with SO_REUSEPORT (what
 *             pm2 cluster mode and the Bun-native managers do).
 * Reported: requests served, connection errors (connect/read/write),
 * timeouts, non-2xx answers, p99 latency, and how long the rolls took.
 * The worker is test/fixtures/prefork_worker.py (0.1 s of "loading" before
 * it accepts; `running` once it writes to fd 3, ready=fd:3, or with
 * BENCH_READY=startwait after startwait_secs=0.4).
 */
import { DaemonProcess, freePort, waitFor } from "../harness.ts";
import { httpGet, workerCmd } from "../sockets/http.ts";

const ROLLS = Number(process.env.BENCH_ROLLS ?? 5);
const CONNECTIONS = 8;
const WORKERS = 4;
/** BENCH_READY=startwait: "running" by startwait_secs=0.4 instead of ready=fd:3 */
const READY_FD = process.env.BENCH_READY !== "startwait";

type Result = { label: string; requests: number; connErrors: number; timeouts: number; non2xx: number; p99ms: number; rps: number; rollSecs: number };

async function farm(kind: "ours" | "reuseport"): Promise<{ d: DaemonProcess; port: number }> {
  const d = await DaemonProcess.start();
  await using c = await d.client();
  let port: number;
  if (kind === "ours") {
    await c.ok("socket web host=127.0.0.1");
    await c.ok("socket web service=0");
    await c.ok("command bind web");
    port = Number(/:(\d+)\t/.exec((await c.ok("command sockets web"))[0]!)![1]);
  } else port = await freePort();
  for (let i = 1; i <= WORKERS; i++) {
    const w = `w${i}`;
    const own = kind === "reuseport" ? ["--reuseport", `127.0.0.1:${port}`] : [];
    await c.ok(`service ${w} cmd=${workerCmd(...own, "--slow", "0.1", ...(READY_FD ? ["--ready-fd", "3"] : []))}`);
    if (kind === "ours") await c.ok(`service ${w} tie_stdin_to=web`);
    await c.ok(`service ${w} tags=web`);
    await c.ok(`service ${w} ignore_stdout=1`);
    await c.ok(`service ${w} stopwait_secs=3`);
    await c.ok(READY_FD ? `service ${w} ready=fd:3` : `service ${w} startwait_secs=0.4`);
  }
  await c.ok("command start tag web");
  await waitFor(async () => (await c.ok("command status tag web")).every((l) => l.split("\t")[1] === "running"), "four running workers", 10_000);
  await waitFor(() => httpGet({ hostname: "127.0.0.1", port }, 1000).then(() => true), `port ${port} answering`, 10_000, 20);
  return { d, port };
}

const ms = (v: string, unit: string) => Number(v) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

async function measure(kind: "ours" | "reuseport", label: string): Promise<Result> {
  const { d, port } = await farm(kind);
  try {
    // bounded: wrk stops by itself after 120 s if the rolls never end
    const w = Bun.spawn(["wrk", "-t1", `-c${CONNECTIONS}`, "-d120s", "--timeout", "2s", "--latency", "-H", "Connection: close", `http://127.0.0.1:${port}/`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = new Response(w.stdout).text();
    await Bun.sleep(500); // wrk connected and busy
    const t0 = performance.now();
    await using c = await d.client();
    for (let i = 0; i < ROLLS; i++) {
      const r = await c.request("command restart_rolling timeout=30 tag web", 60_000);
      if (r.error !== undefined) throw new Error(`roll ${i + 1}: ${r.error}`);
    }
    const rollSecs = (performance.now() - t0) / 1000;
    w.kill("SIGINT");
    await w.exited;
    const text = await out;
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
    const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(text);
    return {
      label,
      requests: num(/(\d+) requests in/),
      connErrors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) : 0,
      timeouts: sock ? Number(sock[4]) : 0,
      non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
      p99ms: p99 ? ms(p99[1]!, p99[2]!) : NaN,
      rps: num(/Requests\/sec:\s+([\d.]+)/),
      rollSecs,
    };
  } finally {
    await d[Symbol.asyncDispose]();
  }
}

const results = [await measure("ours", "cfkd holds the socket (tie_stdin_to)"), await measure("reuseport", "SO_REUSEPORT, a socket per worker")];
const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
console.log(
  `${ROLLS} rolling restarts of ${WORKERS} workers (one at a time, ${READY_FD ? "ready=fd:3" : "startwait_secs=0.4"}) under wrk -t1 -c${CONNECTIONS}, ` +
    `Connection: close, loopback; ${navigator.hardwareConcurrency} CPUs, load ${load}`,
);
console.log("| setup | requests served | connection errors | timeouts | non-2xx | p99 latency | req/s | time for the rolls |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.label} | ${r.requests} | ${r.connErrors} | ${r.timeouts} | ${r.non2xx} | ${r.p99ms.toFixed(1)} ms | ${r.rps.toFixed(0)} | ${r.rollSecs.toFixed(1)} s |`);
}
