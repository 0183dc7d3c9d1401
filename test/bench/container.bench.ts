/**
 * Issue 17, acceptance 5: cfkd as a container's PID 1.
 * 1. Time from SIGTERM to cfkd's exit with 200 services, beside the time
 *    `command stop all` takes for the same 200 in the same run (target:
 *    SIGTERM→exit ≤ 1.2× stop all).
 * 2. Reaping throughput: N orphans blocked on a FIFO are released at once;
 *    how fast does PID 1 reap them (orphans/s)?
 * As PID 1 of a PID namespace when run as root (unshare), else with --init.
 *
 *   node_modules/.bin/bun test/bench/container.bench.ts [services=200] [orphans=2000]
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../harness.ts";
import { canUnshare, Cfkd, treeOf } from "../container/helpers.ts";

const SERVICES = Number(process.argv[2] ?? 200);
const ORPHANS = Number(process.argv[3] ?? 2000);
const ns = { pidNamespace: canUnshare, args: canUnshare ? [] : ["--init"] };
const names = Array.from({ length: SERVICES }, (_, i) => `s${String(i).padStart(3, "0")}`);
const conf = names.map((n) => `service ${n} cmd=sleep 1000\nservice ${n} startwait_secs=0\n`).join("") + "command start all\n";

async function allIn(d: Cfkd, state: string): Promise<void> {
  await waitFor(async () => (await d.ok("command status")).every((l) => l.split("\t")[1] === state) || null, `every service ${state}`, 60000, 20);
}

// 1. stop all, then start all and SIGTERM
{
  await using d = await Cfkd.start(conf, ns);
  await allIn(d, "running");
  let t = performance.now();
  await d.ok("command stop all");
  await allIn(d, "stopped");
  const stopAll = performance.now() - t;
  await d.ok("command start all");
  await allIn(d, "running");
  t = performance.now();
  process.kill(d.cfkdPid, "SIGTERM");
  const code = await d.proc.exited;
  const term = performance.now() - t;
  console.log(`${SERVICES} services (${canUnshare ? "PID 1 of a PID namespace" : "--init"}):`);
  console.log(`  command stop all → all stopped   ${stopAll.toFixed(0).padStart(6)} ms`);
  console.log(`  SIGTERM → cfkd exited (code ${code}) ${term.toFixed(0).padStart(6)} ms   ratio ${(term / stopAll).toFixed(2)} (target ≤ 1.2)`);
}

// 2. reaping throughput
{
  const dir = execFileSync("mktemp", ["-d"]).toString().trim();
  const fifo = join(dir, "gate");
  execFileSync("mkfifo", [fifo]);
  // each subshell starts a `cat` on the FIFO and exits: the cat is an orphan of PID 1
  const svc = `service orphans cmd=i=0; while [ $i -lt ${ORPHANS} ]; do (cat ${fifo} > /dev/null &); i=$((i+1)); done; echo ready; exec sleep 1000\ncommand start all\n`;
  await using d = await Cfkd.start(svc, { ...ns, args: [...ns.args, "--log-stdout"] });
  const pid1 = d.cfkdPid;
  await waitFor(() => d.stdout.includes("orphans | ready") || null, "the orphans", 60000);
  await waitFor(() => treeOf(pid1).length >= ORPHANS + 1 || null, "every orphan to block on the FIFO", 30000);
  const t = performance.now();
  closeSync(openSync(fifo, "w")); // every reader sees EOF: all exit at once
  await waitFor(() => treeOf(pid1).length === 1 || null, "every orphan reaped", 60000, 5);
  const dt = (performance.now() - t) / 1000;
  console.log(`reaping: ${ORPHANS} orphans released at once, all reaped in ${(dt * 1000).toFixed(0)} ms: ${Math.round(ORPHANS / dt)} orphans/s`);
  execFileSync("rm", ["-rf", dir]);
}
