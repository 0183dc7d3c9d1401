/**
 * Shared-socket throughput (issue 5, acceptance 6). Run: bun test/bench/sockets.bench.ts
 * Needs `wrk` (Debian: apt-get install -y wrk) and python3.
 *
 * Requests/s on loopback, measured with wrk (BENCH_SECONDS, default 3 s per
 * run; BENCH_ROUNDS rounds, default 3, interleaved so that a noisy neighbour
 * hurts every setup alike; the median is reported) through:
 *   A. four workers tied to one socket cfkd owns (tie_stdin_to);
 *   B. one worker binding the port itself (no cfkd socket at all);
 *   C. one worker tied to a cfkd socket (what sharing costs, if anything);
 *   D. as A, with workers in a blocking accept() (one wake-up per connection
 *      instead of every worker's poll() waking).
 * The worker is test/fixtures/prefork_worker.py: one request per connection.
 */
import { DaemonProcess, waitFor } from "../harness.ts";
import { httpGet, PYTHON, WORKER, workerCmd } from "../sockets/http.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;

type Run = { rps: number; requests: number; errors: string };
type Setup = { label: string; port: number; close(): Promise<void> };

async function wrk(port: number): Promise<Run> {
  const p = Bun.spawn(["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--timeout", "2s", `http://127.0.0.1:${port}/`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`wrk failed: ${await new Response(p.stderr).text()}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join("; ");
  return { rps, requests, errors };
}

/** Wait until the port answers (the workers are accepting). */
async function answering(port: number): Promise<void> {
  await waitFor(() => httpGet({ hostname: "127.0.0.1", port }, 1000).then(() => true), `port ${port} answering`, 10000, 20);
}

async function tied(label: string, workers: number, blocking: boolean): Promise<Setup> {
  const d = await DaemonProcess.start();
  await using c = await d.client();
  await c.ok("socket web host=127.0.0.1");
  await c.ok("socket web service=0");
  await c.ok("command bind web");
  for (let i = 1; i <= workers; i++) {
    await c.ok(`service w${i} cmd=${workerCmd()}`);
    await c.ok(`service w${i} tie_stdin_to=web`);
    await c.ok(`service w${i} ignore_stdout=1`);
    if (blocking) await c.ok(`service w${i} add_env=PREFORK_BLOCKING=1`);
  }
  await c.ok("command start all");
  const port = Number(/:(\d+)\t/.exec((await c.ok("command sockets web"))[0]!)![1]);
  await answering(port);
  return { label, port, close: () => d[Symbol.asyncDispose]() };
}

async function selfBound(label: string): Promise<Setup> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const w = Bun.spawn([PYTHON, WORKER, "--bind", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "inherit"] });
  await answering(port);
  return {
    label,
    port,
    close: async () => {
      w.kill("SIGTERM");
      await w.exited;
    },
  };
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const setups = [
  await tied("A. 4 workers tied to a cfkd socket   ", 4, false),
  await selfBound("B. 1 worker binding the port itself  "),
  await tied("C. 1 worker tied to a cfkd socket    ", 1, false),
  await tied("D. 4 tied workers, blocking accept() ", 4, true),
];
try {
  const runs = new Map<Setup, Run[]>(setups.map((s) => [s, []]));
  for (let r = 0; r < ROUNDS; r++) for (const s of setups) runs.get(s)!.push(await wrk(s.port));
  console.log(`wrk -t2 -c${CONNECTIONS}, ${ROUNDS} × ${SECONDS}s per setup on loopback, ${navigator.hardwareConcurrency} CPUs, load ${(await Bun.file("/proc/loadavg").text()).split(" ")[0]}`);
  for (const s of setups) {
    const rs = runs.get(s)!;
    const rps = rs.map((x) => x.rps);
    const errors = rs.map((x) => x.errors).filter(Boolean);
    console.log(
      `${s.label}: median ${median(rps).toFixed(0).padStart(6)} req/s  (runs: ${rps.map((x) => x.toFixed(0)).join(", ")}; errors: ${errors.length ? errors.join(" | ") : "none"})`,
    );
  }
} finally {
  for (const s of setups) await s.close();
}
