/**
 * cfkd side by side with other supervisors (issue 19, target 6), in one run:
 * supervisord, runit, s6 (Debian packages) and pm2 (npm), all on this
 * machine, loopback and local sockets only, every step bounded in time.
 *
 *   npx bun test/bench/peers.bench.ts [--n 200] [--lines 200000] [--idle 10] [--write]
 *
 * Installs what is missing first: `apt-get install -y supervisor runit s6`
 * (as root) and pm2 with `npm install --prefix` into a temporary directory
 * (never into the project). A peer that cannot be installed is left out and
 * said so. Measured for each, with N services running `sleep`:
 *  - start: the start command(s) → all N `sleep` processes exist;
 *  - respawn: kill -9 of one service's process → its new process exists
 *    (median of 10);
 *  - stop: the stop command(s) → no `sleep` left;
 *  - status: one status of all N with the peer's own client, whole process
 *    (median of 10);
 *  - PSS of the supervisor's own processes (without the services), and their
 *    CPU time over --idle seconds from 2 s after the last request;
 *  - log path: one service writes --lines lines of 100 bytes as fast as it
 *    can; time from its first byte to its last line in the log file, and
 *    lines lost (missing) or mangled (cut, merged) in the log.
 * --write: also writes docs/benchmarks.md and its SVG charts (docs/bench/).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binaries } from "../e2e/binaries.ts";
import { BUN, FIXTURES, ROOT, tempDir, waitFor } from "../harness.ts";
import { cpuMs, memKiB } from "./measure.ts";
import { writeReport, type Result } from "./peers-report.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("n", 200);
const LINES = arg("lines", 200_000);
const IDLE_S = arg("idle", 10);
const WRITE = process.argv.includes("--write");
const STEP_MS = 60_000; // no single step may take longer than this
using tmp = tempDir("cfk-peers-");
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

// ---------- processes ----------

type Proc = { pid: number; ppid: number; comm: string };

function snapshot(): Map<number, Proc> {
  const m = new Map<number, Proc>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (f[0] === "Z") continue;
      m.set(Number(e), { pid: Number(e), ppid: Number(f[1]), comm });
    } catch {
      /* gone */
    }
  }
  return m;
}

/** Every descendant of `root` (and root), from one snapshot. */
function tree(root: number, snap = snapshot()): Proc[] {
  const kids = new Map<number, Proc[]>();
  for (const p of snap.values()) (kids.get(p.ppid) ?? kids.set(p.ppid, []).get(p.ppid)!).push(p);
  const out: Proc[] = [];
  const walk = (pid: number) => {
    const p = snap.get(pid);
    if (p) out.push(p);
    for (const k of kids.get(pid) ?? []) walk(k.pid);
  };
  walk(root);
  return out;
}

const services = (root: number) => tree(root).filter((p) => p.comm === "sleep");
/** the supervisor's own processes: not the services (`sleep`), nor the log bench's writer (`bun`) */
const supervisorPids = (root: number) => tree(root).filter((p) => p.comm !== "sleep" && !p.comm.startsWith("bun")).map((p) => p.pid);

function sh(cmd: string, env: Record<string, string> = {}): { code: number; out: string } {
  const r = Bun.spawnSync(["sh", "-c", cmd], { env: { ...process.env, ...env } as Record<string, string>, stdout: "pipe", stderr: "pipe", timeout: STEP_MS });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

function must(cmd: string, env: Record<string, string> = {}): string {
  const r = sh(cmd, env);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.out.slice(0, 500)}`);
  return r.out;
}

// ---------- the peers ----------

/** One supervisor, driven through its own client. */
type Peer = {
  name: string;
  /** write its configuration for `n` services (down), start it; the root pid */
  launch(dir: string, n: number): Promise<number>;
  /** the shell command that starts / stops every service, or runs one status of all */
  startCmd: string;
  stopCmd: string;
  statusCmd: string;
  env?: Record<string, string>;
  /** launch with one service that runs `argv` once; where its output lands (files, or a dir of files) */
  launchLog(dir: string, argv: string[]): Promise<{ root: number; files: () => string[] }>;
  shutdown(root: number): void;
};

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const filesIn = (dir: string) => () => (existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)).filter((f) => statSync(f).isFile() && !f.endsWith("lock") && !f.endsWith("state")) : []);

function spawnRoot(argv: string[], env: Record<string, string> = {}): number {
  const p = Bun.spawn(argv, { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, ...env } as Record<string, string> });
  p.unref();
  return p.pid;
}

async function waitSock(path: string): Promise<void> {
  await waitFor(() => existsSync(path), `${path} to exist`, 15_000, 20);
}

function killTree(root: number): void {
  for (const p of tree(root).reverse()) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** cfkd and supervisord both take `CTL start all`, `CTL stop all`, `CTL status`. */
function ctlCommands(ctl: string): Pick<Peer, "startCmd" | "stopCmd" | "statusCmd"> {
  return { startCmd: `${ctl} start all`, stopCmd: `${ctl} stop all`, statusCmd: `${ctl} status` };
}

/** Ask the supervisor to shut down through its control command, then make sure its tree is gone. */
function shutdownVia(ctl: () => string): (root: number) => void {
  return (root) => {
    sh(`${ctl()} shutdown`);
    killTree(root);
  };
}

async function cfkd(): Promise<Peer> {
  const b = await binaries();
  let sock = "";
  const ctl = () => `${q(b.cfkctl)} --address ${q(sock)}`;
  const peer: Peer = {
    name: "cfkd",
    async launch(dir, n) {
      sock = join(dir, "home", "sock");
      const root = spawnRoot([b.cfkd, "--home", join(dir, "home")]);
      await waitSock(sock);
      const decl = Array.from({ length: n }, (_, i) => `service s${i} cmd=sleep 1000`).join("\n");
      writeFileSync(join(dir, "services.conf"), decl + "\n");
      must(`${ctl()} load ${q(join(dir, "services.conf"))}`);
      Object.assign(peer, ctlCommands(ctl()));
      return root;
    },
    startCmd: "",
    stopCmd: "",
    statusCmd: "",
    async launchLog(dir, argv) {
      // the default log config: every line its own record in HOME/cfkd.log
      sock = join(dir, "home", "sock");
      const root = spawnRoot([b.cfkd, "--home", join(dir, "home")]);
      await waitSock(sock);
      must(`${ctl()} load - <<'END'\nservice w cmd=${JSON.stringify(argv)}\nservice w respawn_on_stop=0\nEND`);
      must(`${ctl()} start w`);
      return { root, files: () => [join(dir, "home", "cfkd.log")] };
    },
    shutdown: shutdownVia(ctl),
  };
  return peer;
}

function supervisord(): Peer {
  let conf = "";
  const ctl = () => `supervisorctl -c ${q(conf)}`;
  const write = (dir: string, programs: string) => {
    conf = join(dir, "supervisord.conf");
    writeFileSync(
      conf,
      `[unix_http_server]\nfile=${dir}/supervisor.sock\n[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nnodaemon=true\nchildlogdir=${dir}\n` +
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${dir}/supervisor.sock\n` +
        programs,
    );
    return spawnRoot(["supervisord", "-c", conf]);
  };
  const peer: Peer = {
    name: "supervisord",
    async launch(dir, n) {
      let programs = "";
      for (let i = 0; i < n; i++) programs += `[program:s${i}]\ncommand=sleep 1000\nautostart=false\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`;
      const root = write(dir, programs);
      await waitSock(join(dir, "supervisor.sock"));
      await waitFor(() => sh(`${ctl()} status`).out.includes("s0"), "supervisord to answer", 15_000, 50);
      Object.assign(peer, ctlCommands(ctl()));
      return root;
    },
    startCmd: "",
    stopCmd: "",
    statusCmd: "",
    async launchLog(dir, argv) {
      const log = join(dir, "w.log");
      const root = write(dir, `[program:w]\ncommand=${argv.join(" ")}\nautostart=true\nautorestart=false\nstartsecs=0\nstdout_logfile=${log}\nstdout_logfile_maxbytes=0\nstderr_logfile=NONE\n`);
      return { root, files: () => [log] };
    },
    shutdown: shutdownVia(ctl),
  };
  return peer;
}

/** runit and s6 share the shape: a scan directory of service directories, each with `run`. */
function scanDirPeer(kind: "runit" | "s6"): Peer {
  let svdir = "";
  let names: string[] = [];
  const all = () => names.map((s) => q(join(svdir, s))).join(" ");
  const scan = (dir: string) => (kind === "runit" ? spawnRoot(["runsvdir", "-P", dir]) : spawnRoot(["s6-svscan", dir]));
  const ready = (dir: string) => (kind === "runit" ? join(dir, "supervise", "ok") : join(dir, "supervise", "control"));
  const peer: Peer = {
    name: kind,
    async launch(dir, n) {
      svdir = join(dir, "service");
      names = Array.from({ length: n }, (_, i) => `s${i}`);
      for (const s of names) {
        mkdirSync(join(svdir, s), { recursive: true });
        writeFileSync(join(svdir, s, "run"), "#!/bin/sh\nexec sleep 1000\n", { mode: 0o755 });
        writeFileSync(join(svdir, s, "down"), "");
      }
      const root = scan(svdir);
      await waitFor(() => names.every((s) => existsSync(ready(join(svdir, s)))), `${kind} to supervise`, 30_000, 50);
      // s6-svc takes one service directory
      peer.startCmd = kind === "runit" ? `sv up ${all()}` : `for d in ${all()}; do s6-svc -u "$d"; done`;
      peer.stopCmd = kind === "runit" ? `sv down ${all()}` : `for d in ${all()}; do s6-svc -d "$d"; done`;
      peer.statusCmd = kind === "runit" ? `sv status ${all()}` : `for d in ${all()}; do s6-svstat "$d"; done`;
      return root;
    },
    startCmd: "",
    stopCmd: "",
    statusCmd: "",
    async launchLog(dir, argv) {
      svdir = join(dir, "service");
      const w = join(svdir, "w");
      const logdir = join(dir, "log");
      mkdirSync(join(w, "log"), { recursive: true });
      mkdirSync(logdir, { recursive: true });
      writeFileSync(join(w, "run"), `#!/bin/sh\nexec ${argv.map(q).join(" ")}\n`, { mode: 0o755 });
      writeFileSync(join(w, "finish"), "#!/bin/sh\nexec sleep 1000\n", { mode: 0o755 });
      // the logger: one record per line, a timestamp each, files rotated at 16 MB (nothing is lost to rotation)
      if (kind === "runit") {
        writeFileSync(join(logdir, "config"), "s16000000\nn100\n");
        writeFileSync(join(w, "log", "run"), `#!/bin/sh\nexec svlogd -tt ${q(logdir)}\n`, { mode: 0o755 });
      } else {
        writeFileSync(join(w, "log", "run"), `#!/bin/sh\nexec s6-log T s16000000 n100 ${q(logdir)}\n`, { mode: 0o755 });
      }
      const root = scan(svdir);
      names = ["w"];
      return { root, files: filesIn(logdir) };
    },
    shutdown(root) {
      if (names.length) sh(kind === "runit" ? `sv down ${all()}` : `for d in ${all()}; do s6-svc -d "$d"; done`);
      killTree(root);
    },
  };
  return peer;
}

function pm2(bin: string): Peer {
  let home = "";
  const env = () => ({ PM2_HOME: home });
  const daemonPid = () => Number(readFileSync(join(home, "pm2.pid"), "utf8").trim());
  const peer: Peer = {
    name: "pm2",
    async launch(dir, n) {
      home = join(dir, "pm2");
      const apps = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, script: "sleep", args: "1000", interpreter: "none", autorestart: true, out_file: "/dev/null", error_file: "/dev/null" }));
      writeFileSync(join(dir, "eco.json"), JSON.stringify({ apps }));
      must(`${q(bin)} ping`, env());
      peer.env = env();
      peer.startCmd = `${q(bin)} start ${q(join(dir, "eco.json"))}`;
      peer.stopCmd = `${q(bin)} stop all`;
      peer.statusCmd = `${q(bin)} jlist`;
      return daemonPid();
    },
    startCmd: "",
    stopCmd: "",
    statusCmd: "",
    async launchLog(dir, argv) {
      home = join(dir, "pm2");
      const log = join(dir, "w.log");
      const apps = [{ name: "w", script: argv[0], args: argv.slice(1), interpreter: "none", autorestart: false, out_file: log, error_file: "/dev/null" }];
      writeFileSync(join(dir, "eco.json"), JSON.stringify({ apps }));
      must(`${q(bin)} ping`, env());
      must(`${q(bin)} start ${q(join(dir, "eco.json"))}`, env());
      return { root: daemonPid(), files: () => [log] };
    },
    shutdown(root) {
      sh(`${q(bin)} kill`, env());
      killTree(root);
    },
  };
  return peer;
}

// ---------- installing the peers ----------

function installDebian(): void {
  const missing = ["supervisord", "runsvdir", "s6-svscan"].filter((c) => sh(`command -v ${c}`).code !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) return console.log(`(not root: cannot install supervisor runit s6; missing ${missing.join(", ")})`);
  console.log("installing supervisor runit s6 (apt-get)…");
  sh("DEBIAN_FRONTEND=noninteractive apt-get install -y supervisor runit s6");
}

function installPm2(): string | null {
  const dir = process.env.PM2_PREFIX ?? "/tmp/cfk-bench-pm2";
  const bin = join(dir, "node_modules", ".bin", "pm2");
  if (existsSync(bin)) return bin;
  console.log(`installing pm2 into ${dir} (npm install --prefix)…`);
  const r = sh(`npm install --prefix ${q(dir)} --no-audit --no-fund pm2`);
  return r.code === 0 && existsSync(bin) ? bin : null;
}

// ---------- measuring ----------

async function until(cond: () => boolean, what: string): Promise<number> {
  const t0 = performance.now();
  await waitFor(() => cond(), what, STEP_MS, 5);
  return performance.now() - t0;
}

async function lifecycle(peer: Peer): Promise<Partial<Result>> {
  const dir = join(tmp.path, peer.name);
  mkdirSync(dir, { recursive: true });
  const root = await peer.launch(dir, N);
  try {
    const t0 = performance.now();
    must(peer.startCmd, peer.env);
    await waitFor(() => services(root).length === N, `${peer.name}: ${N} running`, STEP_MS, 5);
    const start = performance.now() - t0;
    await Bun.sleep(1500); // past every start-up grace period (startsecs, startwait)

    const respawns: number[] = [];
    for (let i = 0; i < 10; i++) {
      const victim = services(root)[(i * 7) % N]!;
      const t = performance.now();
      process.kill(victim.pid, "SIGKILL");
      await waitFor(() => {
        const now = services(root);
        return now.length === N && !now.some((p) => p.pid === victim.pid);
      }, `${peer.name}: respawn`, STEP_MS, 1);
      respawns.push(performance.now() - t);
      await Bun.sleep(1200); // respawn back-off and start grace periods reset
    }

    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      must(peer.statusCmd, peer.env);
      statuses.push(performance.now() - t);
    }

    await Bun.sleep(2000);
    const sup = supervisorPids(root);
    const pss = sup.reduce((s, p) => s + (existsSync(`/proc/${p}`) ? memKiB(p).pss : 0), 0);
    const cpu0 = sup.reduce((s, p) => s + (existsSync(`/proc/${p}`) ? cpuMs(p) : 0), 0);
    await Bun.sleep(IDLE_S * 1000);
    const cpu1 = sup.reduce((s, p) => s + (existsSync(`/proc/${p}`) ? cpuMs(p) : 0), 0);

    const t1 = performance.now();
    must(peer.stopCmd, peer.env);
    await waitFor(() => services(root).length === 0, `${peer.name}: all stopped`, STEP_MS, 5);
    const stop = performance.now() - t1;
    return { start, respawn: median(respawns), stop, status: median(statuses), pssMiB: pss / 1024, idleCpuMs: cpu1 - cpu0, processes: sup.length };
  } finally {
    peer.shutdown(root);
  }
}

/** Every line the writer wrote must be in the files exactly once, whole. */
function checkLog(files: string[], n: number): { found: number; lost: number; mangled: number; lastSeen: boolean; t0: number | null } {
  const seen = new Uint8Array(n);
  let mangled = 0;
  let t0: number | null = null;
  const re = /(?:^|[\s\-:|])(\d{18})x{81}$/;
  for (const f of files) {
    for (const line of readFileSync(f, "latin1").split("\n")) {
      if (line === "" || !/x{10}|T\d/.test(line)) continue; // the supervisor's own messages
      const first = /T(\d+\.\d+) *x{81}$/.exec(line);
      if (first) {
        t0 = Number(first[1]);
        seen[0] = 1;
        continue;
      }
      const m = re.exec(line);
      const id = m ? Number(m[1]) : -1;
      if (id < 0 || id >= n || seen[id]) mangled++;
      else seen[id] = 1;
    }
  }
  let found = 0;
  for (const s of seen) found += s;
  return { found, lost: n - found, mangled, lastSeen: seen[n - 1] === 1, t0 };
}

async function logPath(peer: Peer): Promise<Partial<Result>> {
  const dir = join(tmp.path, `${peer.name}-log`);
  mkdirSync(dir, { recursive: true });
  const writer = [BUN, join(FIXTURES, "linewriter.ts"), String(LINES)];
  const { root, files } = await peer.launchLog(dir, writer);
  let peak = 0;
  try {
    const sizeNeeded = LINES * 100;
    let lastTotal = -1;
    let stableSince = performance.now();
    const deadline = performance.now() + STEP_MS;
    let tEnd = 0;
    for (;;) {
      for (const p of supervisorPids(root)) {
        const m = existsSync(`/proc/${p}/status`) ? /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8")) : null;
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      }
      const fs = files().filter((f) => existsSync(f));
      const total = fs.reduce((s, f) => s + statSync(f).size, 0);
      if (total !== lastTotal) {
        lastTotal = total;
        stableSince = performance.now();
        if (total >= sizeNeeded && checkLog(fs, LINES).lastSeen) {
          tEnd = performance.timeOrigin + performance.now();
          break;
        }
      }
      if (performance.now() - stableSince > 5000 || performance.now() > deadline) break; // nothing more is coming
      await Bun.sleep(2);
    }
    const c = checkLog(files().filter((f) => existsSync(f)), LINES);
    const secs = tEnd && c.t0 ? (tEnd - c.t0) / 1000 : NaN;
    return { logSecs: secs, lost: c.lost, mangled: c.mangled, logPeakMiB: peak };
  } finally {
    peer.shutdown(root);
  }
}

// ---------- the run ----------

installDebian();
const pm2Bin = installPm2();
const peers: Peer[] = [await cfkd()];
if (sh("command -v supervisord").code === 0) peers.push(supervisord());
if (sh("command -v runsvdir").code === 0) peers.push(scanDirPeer("runit"));
if (sh("command -v s6-svscan").code === 0) peers.push(scanDirPeer("s6"));
if (pm2Bin) peers.push(pm2(pm2Bin));
else console.log("(pm2 could not be installed: left out)");

const results: Result[] = [];
for (const p of peers) {
  const r: Result = { name: p.name } as Result;
  try {
    Object.assign(r, await lifecycle(p));
  } catch (e) {
    console.log(`${p.name}: life cycle failed: ${(e as Error).message}`);
  }
  try {
    Object.assign(r, await logPath(p));
  } catch (e) {
    console.log(`${p.name}: log path failed: ${(e as Error).message}`);
  }
  results.push(r);
  console.log(JSON.stringify(r));
}

const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d));
console.log(`\n${N} services (sleep), ${LINES.toLocaleString("en")} log lines; times in ms unless said; same machine, same run`);
console.log(["", "start", "respawn", "stop", "status", "PSS MiB", `CPU ms/${IDLE_S}s idle`, "log s", "lost", "mangled", "log peak RSS MiB"].join("\t"));
for (const r of results) {
  console.log([r.name, f(r.start, 0), f(r.respawn), f(r.stop, 0), f(r.status), f(r.pssMiB), f(r.idleCpuMs, 0), f(r.logSecs, 3), r.lost ?? "—", r.mangled ?? "—", f(r.logPeakMiB, 0)].join("\t"));
}
// issue 19's targets that this run measures, beside their values
const me = results.find((r) => r.name === "cfkd");
const s6 = results.find((r) => r.name === "s6");
if (me) {
  const ratio = me.logSecs !== undefined && s6?.logSecs !== undefined ? me.logSecs / s6.logSecs : NaN;
  console.log(`targets: log path ≤ 1.3× s6-log: ${f(ratio, 2)}×; 0 lost, 0 mangled: ${me.lost ?? "—"} lost, ${me.mangled ?? "—"} mangled; peak RSS ≤ 45 MiB: ${f(me.logPeakMiB, 0)} MiB; idle CPU 0 ms: ${f(me.idleCpuMs, 0)} ms`);
}
if (WRITE) {
  writeReport(join(ROOT, "docs"), results, { n: N, lines: LINES, idleS: IDLE_S, bun: Bun.version, when: new Date().toISOString().slice(0, 10), cores: navigator.hardwareConcurrency });
  console.log("wrote docs/benchmarks.md and docs/bench/*.svg");
}
rmSync(join(tmp.path), { recursive: true, force: true });
