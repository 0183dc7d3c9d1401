/**
 * Memory benchmark (issue 19, target 1). Run: npx bun test/bench/memory.bench.ts [--long]
 * The compiled cfkd as it ships, beside build variants and a bare compiled
 * Bun program that listens on a unix socket (the floor), in one run: PSS with
 * no services (12 s after start-up) and with 200 running `sleep` services
 * (12 s after they all run). --long: then restart all every 10 s for an hour,
 * printing PSS every 10 minutes (it must stay flat).
 * Targets: PSS ≤ 28 MiB with no services, ≤ 36 MiB with 200.
 */
import { linkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, COMPILE_OPTIONS, type CompileVariant } from "../../build/build.ts";
import { Client, tempDir, waitFor } from "../harness.ts";
import { memKiB } from "./measure.ts";

const LONG = process.argv.includes("--long");
const N = 200;
using dir = tempDir("cfk-mem-");
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

async function build(name: string, variant: CompileVariant): Promise<string> {
  const exe = join(dir.path, name);
  await compile("cfk.ts", exe, "0.0.0-bench", undefined, variant);
  const cfkd = join(dir.path, name, "..", `${name}-bin`, "cfkd");
  Bun.spawnSync(["mkdir", "-p", join(dir.path, `${name}-bin`)]);
  linkSync(exe, cfkd);
  return cfkd;
}

async function request(c: Client, line: string): Promise<string[]> {
  const r = await c.request(line, 60_000);
  if (r.error !== undefined) throw new Error(`${line}: ${r.error}`);
  return r.body;
}

async function measure(label: string, cfkd: string): Promise<{ label: string; none: number; many: number }> {
  const home = join(dir.path, `home-${label.replace(/\W+/g, "_")}`);
  const p = Bun.spawn([cfkd, "--home", home], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    const sock = join(home, "sock");
    const c = await waitFor(() => Client.connect(sock).catch(() => null), "cfkd to listen", 10_000);
    await c[Symbol.asyncDispose]();
    await Bun.sleep(12_000); // settled: past the trims that follow start-up (src/daemon/os/trim.ts)
    const none = memKiB(p.pid).pss;
    const d = await Client.connect(sock);
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(`service s${i} cmd=sleep 1000`);
    lines.push("command start all");
    d.send(lines.map((l) => l + "\n").join(""));
    for (const l of lines) if ((await d.next(30_000)).error) throw new Error(l);
    await waitFor(async () => (await request(d, "command status")).every((l) => l.split("\t")[1] === "running"), "all running", 30_000, 100);
    await d[Symbol.asyncDispose]();
    await Bun.sleep(12_000); // cfkd trims its code pages once a burst is over (src/daemon/os/trim.ts)
    const many = memKiB(p.pid).pss;
    if (LONG) {
      const t0 = Date.now();
      let next = t0 + 600_000;
      while (Date.now() - t0 < 3_600_000) {
        const e = await Client.connect(sock);
        await request(e, "command restart all");
        await e[Symbol.asyncDispose]();
        await Bun.sleep(10_000);
        if (Date.now() >= next) {
          console.log(`  ${label}: after ${Math.round((Date.now() - t0) / 60_000)} min of restart all every 10 s: PSS ${mib(memKiB(p.pid).pss)}`);
          next += 600_000;
        }
      }
    }
    const e = await Client.connect(sock);
    await request(e, "command shutdown");
    return { label, none, many };
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}

/** The floor: a compiled Bun program that only listens on a unix socket. */
async function bare(): Promise<number> {
  const src = join(dir.path, "bare.ts");
  const sock = join(dir.path, "bare.sock");
  writeFileSync(src, `Bun.listen({ unix: ${JSON.stringify(sock)}, socket: { data() {} } });\n`);
  const exe = join(dir.path, "bare");
  const r = await Bun.build({ entrypoints: [src], compile: { outfile: exe }, minify: true });
  if (!r.success) throw new Error("bare build failed");
  const p = Bun.spawn([exe], { stdio: ["ignore", "ignore", "inherit"] });
  await Bun.sleep(3000);
  const pss = memKiB(p.pid).pss;
  p.kill();
  await p.exited;
  return pss;
}

const variants: [string, CompileVariant][] = [
  ["shipped", COMPILE_OPTIONS],

  ["jitPolicy 1", { ...COMPILE_OPTIONS, jitPolicy: 1 }],
];
const rows = [];
for (const [label, v] of variants) rows.push(await measure(label, await build(label.replace(/\W+/g, "_"), v)));
const floor = await bare();
console.log(`PSS of compiled cfkd (Bun ${Bun.version}), same run:`);
console.log(`  bare compiled Bun program listening on a socket: ${mib(floor)}`);
for (const r of rows) console.log(`  cfkd ${r.label.padEnd(14)} no services ${mib(r.none).padStart(9)}   ${N} services ${mib(r.many).padStart(9)}`);
const s = rows[0]!;
console.log(`  target: no services ≤ 28 MiB (measured ${mib(s.none)}), ${N} services ≤ 36 MiB (measured ${mib(s.many)})`);
