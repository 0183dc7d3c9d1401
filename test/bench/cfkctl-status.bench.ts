/**
 * Issue 3, acceptance 5: `cfkctl status` end to end with the compiled
 * binaries — process start, connect, request, render, exit — for 200 and
 * 1,000 running services. Targets: ≤ 10 ms and ≤ 40 ms median.
 * (For scale: the original's cfkctl 52 ms, `sv status` 6 ms,
 * supervisorctl 215 ms, `pm2 jlist` 202 ms.)
 *
 *   node_modules/.bin/bun test/bench/cfkctl-status.bench.ts [runs]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { binaries } from "../e2e/binaries.ts";
import { tempDir, waitFor } from "../harness.ts";

const RUNS = Number(process.argv[2] ?? 200);
const b = await binaries();

function time(argv: string[], env: Record<string, string>): { median: number; p90: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe", env });
    wall.push(performance.now() - t);
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
    const u = r.resourceUsage!.cpuTime;
    cpu.push((Number(u.user) + Number(u.system)) / 1000);
  }
  const at = (a: number[], q: number) => a.sort((x, y) => x - y)[Math.floor(a.length * q)]!;
  return { median: at(wall, 0.5), p90: at(wall, 0.9), cpu: at(cpu, 0.5) };
}

const fmt = (x: { median: number; p90: number; cpu: number }) =>
  `median ${x.median.toFixed(2)} ms  p90 ${x.p90.toFixed(2)} ms  (cpu ${x.cpu.toFixed(2)} ms)`;

for (const n of [200, 1000]) {
  using dir = tempDir("cfk-bench-");
  const home = join(dir.path, "home");
  const sock = join(home, "sock");
  const daemon = Bun.spawn([b.cfkd, "--home", home], { stdio: ["ignore", "ignore", "ignore"] });
  try {
    await waitFor(() => existsSync(sock), "cfkd socket", 10_000);
    let conf = "";
    for (let i = 0; i < n; i++) conf += `service svc${String(i).padStart(4, "0")} cmd=sleep 3600\n`;
    conf += "command start all\n";
    const load = Bun.spawnSync([b.cfkctl, "--address", sock, "load", "-"], { stdin: new TextEncoder().encode(conf) });
    if (load.exitCode !== 0) throw new Error(`load failed: ${load.stderr.toString()}`);
    const env = { ...process.env, CFKD_ADDRESS: `unix:${sock}` } as Record<string, string>;
    // Measure a quiet daemon: every service past `starting`.
    await waitFor(() => {
      const list = JSON.parse(Bun.spawnSync([b.cfkctl, "--json", "status"], { env }).stdout.toString());
      return list.every((s: { state: string }) => s.state === "running");
    }, "every service running", 30_000, 200);
    const lines = Bun.spawnSync([b.cfkctl, "status"], { env }).stdout.toString().trim().split("\n");
    if (lines.length !== n) throw new Error(`expected ${n} status lines, got ${lines.length}`);
    time([b.cfkctl, "status"], env); // warm the page cache
    console.log(`${n} running services, ${RUNS} runs each:`);
    console.log(`  cfkctl status          ${fmt(time([b.cfkctl, "status"], env))}   target ≤ ${n === 200 ? 10 : 40} ms`);
    console.log(`  cfkctl --json status   ${fmt(time([b.cfkctl, "--json", "status"], env))}`);
    console.log(`  cfkctl version         ${fmt(time([b.cfkctl, "version"], env))}`);
  } finally {
    Bun.spawnSync([b.cfkctl, "--address", sock, "shutdown"]);
    daemon.kill("SIGKILL");
    await daemon.exited;
  }
}
process.exit(0);
