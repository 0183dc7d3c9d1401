/**
 * Issue 6 acceptance 4: what the preloading proxy saves.
 * Run: bun test/bench/proxy-memory.bench.ts [workers=8]
 *
 * The same Python application (test/bench/proxy-memory/memapp.py, ~50 MB of
 * objects built at import) runs as N workers twice under one cfkd: once as N
 * separate processes spawned by cfkd, once forked by proxies/cfk-python-proxy.py
 * after a single import. Prints the sum of PSS (/proc/PID/smaps_rollup) of each
 * set, the proxy itself included; the proxied set should be well under half.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, ROOT, waitFor } from "../harness.ts";
import { logText } from "../proxy/helpers.ts";

const N = Number(process.argv[2] ?? 8);
const APP_DIR = join(ROOT, "test/bench/proxy-memory");
const PROXY = join(ROOT, "proxies/cfk-python-proxy.py");

/** The real interpreter (not a pyenv shim), so that pids are Python's own. */
const python = Bun.spawnSync(["python3", "-c", "import sys; print(sys.executable)"]).stdout.toString().trim();

function pssKiB(pid: number): number {
  const r = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return Number(/^Pss:\s+(\d+)/m.exec(r)?.[1] ?? 0);
}
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** Start N services named prefix1..N, wait until each has imported and said so; their pids. */
async function startSet(d: DaemonProcess, prefix: string): Promise<number[]> {
  const names = Array.from({ length: N }, (_, i) => `${prefix}${i + 1}`);
  for (const n of names) await d.ok(`command start service ${n}`);
  const pids = await waitFor(async () => {
    const lines = await d.ok(`command pids tag ${prefix}`);
    const ps = lines.map((l) => Number(l.split(/[:,]\s*/).at(-1)));
    return ps.length === N && ps.every((p) => p > 0) ? ps : null;
  }, `${prefix} pids`, 60000);
  // "ready" is printed once the import (direct) or the fork (proxied) is done
  await waitFor(() => (logText(d).match(new RegExp(`service\\.${prefix}\\d+\\.out - worker \\d+ ready`, "g")) ?? []).length >= N, `${prefix} ready`, 60000);
  await Bun.sleep(500); // let the heaps settle
  return pids;
}

await using d = await DaemonProcess.start();
await d.ok(`proxy py cmd=["${python}","${PROXY}","--path","${APP_DIR}","--preload","memapp"]`);
for (let i = 1; i <= N; i++) {
  await d.ok(`service direct${i} cmd=["${python}","${join(APP_DIR, "memapp.py")}"]`);
  await d.ok(`service direct${i} tags=direct`);
  await d.ok(`proxy py service proxied${i} cmd=memapp:serve`);
  await d.ok(`service proxied${i} tags=proxied`);
}

const direct = await startSet(d, "direct");
const directKiB = direct.reduce((s, p) => s + pssKiB(p), 0);
await d.ok("command stop tag direct");

const proxied = await startSet(d, "proxied");
const proxyPid = Number((await d.ok("command proxystatus"))[0]!.split("\t")[2]);
const workersKiB = proxied.reduce((s, p) => s + pssKiB(p), 0);
const proxyKiB = pssKiB(proxyPid);
const proxiedKiB = workersKiB + proxyKiB;
await d.ok("command stop all");

const ratio = proxiedKiB / directKiB;
console.log(`${N} workers of memapp (~50 MB of objects at import), ${python}`);
console.log(`direct:  sum of PSS ${mib(directKiB)} (${mib(directKiB / N)} per worker)`);
console.log(`proxied: sum of PSS ${mib(proxiedKiB)} = workers ${mib(workersKiB)} + proxy ${mib(proxyKiB)}`);
console.log(`proxied/direct = ${(ratio * 100).toFixed(1)}% — ${ratio < 0.5 ? "well under half: OK" : "NOT under half"}`);
