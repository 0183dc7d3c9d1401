/**
 * Output capture throughput (issue 4, acceptance 4). A real cfkd with the
 * default log config runs a service that writes N lines of 100 bytes in
 * 64 KiB blocks as fast as it can. Measured: from the writer's first byte
 * to the last line being in cfkd.log; the daemon's peak RSS meanwhile.
 * Checked: every line arrives, in order, byte for byte, with its prefix.
 * The daemon's CPU time is printed too: unlike the elapsed time, it does
 * not depend on what else the machine is doing.
 *   bun test/bench/logging.bench.ts            # 200,000 and 1,000,000 lines
 *   bun test/bench/logging.bench.ts 200000 5   # 5 runs of 200,000
 */
import { openSync, readSync, fstatSync, closeSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, BUN, FIXTURES, waitFor } from "../harness.ts";

const counts = process.argv[2] ? [Number(process.argv[2])] : [200_000, 1_000_000];
const runs = Number(process.argv[3] ?? 3);

/** the process's peak resident set so far (the kernel's high-water mark) */
function peakRssMB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** user + system CPU time a process has used, in ms (clock ticks of 10 ms) */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** the last `n` bytes of a file */
function tailBytes(path: string, n: number): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(n, size);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString("latin1");
  } finally {
    closeSync(fd);
  }
}

async function once(n: number): Promise<{ secs: number; rss: number; rss0: number; cpu: number }> {
  await using d = await DaemonProcess.start();
  const log = join(d.home, "cfkd.log");
  const lastId = String(n - 1).padStart(18, "0");
  await d.ok(`service bench cmd=["${BUN}","${join(FIXTURES, "linewriter.ts")}","${n}"]`);
  await d.ok("service bench respawn_on_stop=0");
  const cpu0 = cpuMs(d.pid);
  const rss0 = peakRssMB(d.pid); // the high-water mark of start-up alone: what the log path adds is the difference
  await d.ok("command start service bench");
  // Poll cheaply (one stat per ms) so the measuring process takes as
  // little CPU from the daemon as possible.
  let lastSize = -1;
  const minSize = n * 100;
  const t1 = await waitFor(
    () => {
      const size = statSync(log).size;
      if (size === lastSize || size < minSize) return false;
      lastSize = size;
      return tailBytes(log, 400).includes(`service.bench.out - ${lastId}`) && performance.timeOrigin + performance.now();
    },
    "the last line in cfkd.log",
    120_000,
    1,
  );
  // every line, in order, unmangled
  const text = readFileSync(log, "latin1");
  const lines = text.split("\n").filter((l) => l.includes(" service.bench.out - "));
  if (lines.length !== n) throw new Error(`expected ${n} lines, found ${lines.length}`);
  const first = /^(\d+) INFO 0 service\.bench\.out - T([\d.]+) *x{81}$/.exec(lines[0]!);
  if (!first) throw new Error(`bad first line: ${lines[0]}`);
  const prefix = `${first[1]} INFO 0 service.bench.out - `;
  const body = "x".repeat(81);
  for (let i = 1; i < n; i++) {
    if (lines[i] !== prefix + String(i).padStart(18, "0") + body) throw new Error(`line ${i} wrong: ${lines[i]!.slice(0, 200)}`);
  }
  const rss = peakRssMB(d.pid);
  const cpu = cpuMs(d.pid) - cpu0;
  return { secs: (Number(t1) - Number(first[2])) / 1000, rss, rss0, cpu };
}

for (const n of counts) {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { secs, rss, rss0, cpu } = await once(n);
    times.push(secs);
    console.log(
      `${n.toLocaleString("en")} lines of 100 bytes: ${secs.toFixed(3)} s first byte → last line in the log, ` +
        `${Math.round(n / secs).toLocaleString("en")} lines/s, daemon CPU ${cpu} ms, peak RSS ${rss.toFixed(0)} MB (start-up peak ${rss0.toFixed(0)} MB) — all lines in order, unmangled`,
    );
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`${n.toLocaleString("en")} lines: median ${median.toFixed(3)} s (${Math.round(n / median).toLocaleString("en")} lines/s), best ${times[0]!.toFixed(3)} s, over ${runs} runs`);
}
