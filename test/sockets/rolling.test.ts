/**
 * Issue 15: zero-downtime deploys over the held socket, end to end. Four
 * Python prefork workers (test/fixtures/prefork_worker.py) tied to a socket
 * cfkd holds, a client sending requests all along (a new connection each),
 * the real cfkctl:
 * - `restart --rolling @web`: every request answered, every pid changed,
 *   never fewer than 3 workers accepting (each worker keeps a marker file
 *   while it accepts: created once loaded, removed at SIGTERM);
 * - a replacement that fails: the roll stops, exit 1 with the reason, the
 *   3 others still serve with their old pids;
 * - `reload w1`: 0 failed requests, old and new pid both alive during the
 *   overlap (status shows `old_pid=`), only the new one after;
 * - a client that leaves does not stop a roll; `roll-cancel` does;
 * - a crash of cfkd during a reload: the next cfkd stops the old generation.
 *
 * Each test runs twice: "running" by `ready=fd:3` (the worker writes to
 * fd 3 once it accepts), and by the startwait rule (startwait_secs=1.2
 * against 0.2 s of loading: a guess, which `ready=` replaces).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, BUN, DaemonProcess, ROOT, tempDir, waitFor } from "../harness.ts";
import { httpGet, parseAnswer, workerCmd } from "./http.ts";

const CFKCTL = join(ROOT, "src/cfkctl.ts");
const WORKERS = ["w1", "w2", "w3", "w4"];

type Farm = { d: DaemonProcess; port: number; marks: string } & AsyncDisposable;

/** Socket `web` on 127.0.0.1:0, four workers tagged `web`, all running. */
async function farm(ready: "startwait" | "fd"): Promise<Farm> {
  const marks = mkdtempSync(join(tmpdir(), "cfk-marks-"));
  const d = await DaemonProcess.start();
  await using c = await d.client();
  await c.ok("socket web host=127.0.0.1");
  await c.ok("socket web service=0");
  await c.ok("command bind web");
  for (const w of WORKERS) {
    await c.ok(`service ${w} cmd=${workerCmd(...workerArgs(ready, marks))}`);
    await c.ok(`service ${w} tie_stdin_to=web`);
    await c.ok(`service ${w} tags=web`);
    await c.ok(`service ${w} stopwait_secs=3`);
    if (ready === "fd") await c.ok(`service ${w} ready=fd:3`);
    else await c.ok(`service ${w} startwait_secs=1.2`); // a guess, with room for a loaded machine: what ready= is for
  }
  await c.ok("command start tag web");
  await waitFor(async () => (await c.ok("command status tag web")).every((l) => l.split("\t")[1] === "running"), "four running workers");
  const port = Number(/:(\d+)\t/.exec((await c.ok("command sockets web"))[0]!)![1]);
  return {
    d,
    port,
    marks,
    async [Symbol.asyncDispose]() {
      await d[Symbol.asyncDispose]();
      rmSync(marks, { recursive: true, force: true });
    },
  };
}

function workerArgs(ready: "startwait" | "fd", marks: string, slow = "0.2"): string[] {
  return ["--slow", slow, "--mark", marks, ...(ready === "fd" ? ["--ready-fd", "3"] : [])];
}

async function pids(d: DaemonProcess): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of await d.ok("command status tag web")) {
    const f = l.split("\t");
    out.set(f[0]!, Number(f[2]));
  }
  return out;
}

/** Two clients sending requests back to back, a new connection each, until stopped. */
function load(port: number) {
  let stop = false;
  const r = { ok: 0, failed: [] as string[], pids: new Set<number>() };
  const loop = async () => {
    while (!stop) {
      try {
        r.pids.add(parseAnswer(await httpGet({ hostname: "127.0.0.1", port })).pid);
        r.ok++;
      } catch (e) {
        r.failed.push(String(e));
      }
    }
  };
  const loops = [loop(), loop()];
  return {
    r,
    async stop() {
      stop = true;
      await Promise.all(loops);
      return r;
    },
  };
}

/** The fewest workers accepting (a live pid with its marker) seen until stopped. */
function accepting(marks: string) {
  let stop = false;
  let min = Infinity;
  const run = (async () => {
    while (!stop) {
      const n = readdirSync(marks).filter((p) => alive(Number(p))).length;
      min = Math.min(min, n);
      await Bun.sleep(5);
    }
  })();
  return {
    async stop() {
      stop = true;
      await run;
      return min;
    },
  };
}

/** Run the real cfkctl; resolves with its exit code and output. */
async function cfkctl(d: DaemonProcess, ...args: string[]) {
  const p = Bun.spawn([BUN, CFKCTL, "--address", d.sock, ...args], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, out, err };
}

/** Until every pid in `want` has answered a request. */
async function answeredBy(port: number, want: number[]): Promise<void> {
  const seen = new Set<number>();
  await waitFor(async () => {
    seen.add(parseAnswer(await httpGet({ hostname: "127.0.0.1", port })).pid);
    return want.every((p) => seen.has(p));
  }, `answers from ${want.join(", ")}`, 10_000, 0);
}

function suite(ready: "startwait" | "fd") {
  test("restart --rolling @web under load: every request answered, every pid changed, never fewer than 3 accepting", async () => {
    await using f = await farm(ready);
    const before = await pids(f.d);
    await answeredBy(f.port, [...before.values()]);
    const l = load(f.port);
    const a = accepting(f.marks);
    const roll = await cfkctl(f.d, "restart", "--rolling", "@web", "--timeout", "10");
    const r = await l.stop();
    const minAccepting = await a.stop();
    expect(roll.err).toBe("");
    expect(roll.code).toBe(0);
    expect(roll.out).toMatch(/^w1: stopping pid \d+, then starting a new one$/m);
    expect(roll.out).toMatch(/^w4: pid \d+ running$/m);
    expect(r.failed).toEqual([]);
    expect(r.ok).toBeGreaterThan(20);
    const after = await pids(f.d);
    for (const w of WORKERS) expect(after.get(w)).not.toBe(before.get(w));
    expect(minAccepting).toBeGreaterThanOrEqual(3);
    await answeredBy(f.port, [...after.values()]);
    console.log(`${ready}: rolling restart, ${r.ok} requests, 0 failed, min accepting ${minAccepting}`);
  });

  test("a replacement that never comes up stops the roll: exit 1 with the reason, the 3 others serve on", async () => {
    await using f = await farm(ready);
    const before = await pids(f.d);
    // w1's next generation: one that exits at once (startwait), or never signals ready (fd)
    const broken = ready === "fd" ? workerCmd(...workerArgs(ready, f.marks, "3600")) : JSON.stringify(["/bin/sh", "-c", "echo no config >&2; exit 3"]);
    await f.d.ok(`service w1 cmd=${broken}`);
    const l = load(f.port);
    const roll = await cfkctl(f.d, "restart", "--rolling", "@web", "--timeout", "2");
    const r = await l.stop();
    expect(roll.code).toBe(1);
    const reason = ready === "fd" ? /w1 not running within 2s/ : /w1 is (backoff|fatal|fail): Exited with error 3/;
    expect(roll.err).toMatch(reason);
    expect(roll.err).toMatch(/roll \d+ stopped, 0 of 4 replaced, not replaced: w1 w2 w3 w4/);
    expect(r.failed).toEqual([]);
    const after = await pids(f.d);
    for (const w of ["w2", "w3", "w4"]) expect(after.get(w)).toBe(before.get(w));
    await answeredBy(f.port, ["w2", "w3", "w4"].map((w) => before.get(w)!));
    expect((await f.d.ok("command rolls"))).toEqual([]);
  });

  test("reload w1 under load: 0 failed requests, both pids alive during the overlap, only the new one after", async () => {
    await using f = await farm(ready);
    const old = (await pids(f.d)).get("w1")!;
    // a slower new generation makes the overlap easy to see
    await f.d.ok(`service w1 cmd=${workerCmd(...workerArgs(ready, f.marks, "0.5"))}`);
    const l = load(f.port);
    const p = Bun.spawn([BUN, CFKCTL, "--address", f.d.sock, "reload", "w1"], { stdout: "pipe", stderr: "pipe" });
    const overlap = await waitFor(async () => {
      const st = (await f.d.ok("command status service w1"))[0]!.split("\t");
      const o = st.find((x) => x.startsWith("old_pid="));
      return o ? { state: st[1], pid: Number(st[2]), old: Number(o.slice(8)), bothAlive: alive(Number(st[2])) && alive(Number(o.slice(8))) } : null;
    }, "the overlap in status", 5000, 5);
    expect(overlap.old).toBe(old);
    expect(overlap.bothAlive).toBe(true);
    expect(overlap.state).toBe("starting");
    const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    const r = await l.stop();
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^w1: pid ${old} serves while pid \\d+ starts$`, "m"));
    expect(out).toMatch(new RegExp(`^w1: pid \\d+ running, stopping pid ${old}$`, "m"));
    expect(out).toMatch(new RegExp(`^w1: pid ${old} has stopped, pid \\d+ serves alone$`, "m"));
    expect(r.failed).toEqual([]);
    const now = (await pids(f.d)).get("w1")!;
    expect(now).toBe(overlap.pid);
    expect(alive(old)).toBe(false);
    const st = (await f.d.ok("command status service w1"))[0]!.split("\t");
    expect(st.filter((x) => x.startsWith("old_pid="))).toEqual([]); // the overlap is over
    if (ready === "startwait") expect(st).toHaveLength(8); // the original 8 fields alone again
    await answeredBy(f.port, [now]);
  });
}

describe("ready by startwait_secs", () => suite("startwait"));

describe("ready=fd:3", () => suite("fd"));

test("a roll outlives its client; roll_cancel stops it after what is in flight; a reload of a service without a shared socket is a restart", async () => {
  await using f = await farm("startwait");
  const before = await pids(f.d);
  {
    await using c = await f.d.client();
    c.send("command restart_rolling pause=30 tag web\n");
  } // gone at once
  await waitFor(async () => (await pids(f.d)).get("w1") !== before.get("w1") && (await f.d.status("w1"))[1] === "running", "w1 replaced");
  const rolls = await f.d.ok("command rolls");
  expect(rolls).toHaveLength(1);
  expect(rolls[0]).toMatch(/^1\trestart_rolling batch=1\t1\/4 replaced\tw1,w2,w3,w4$/);
  expect(await f.d.ok("command roll_cancel 1")).toEqual(["cancelled roll 1"]);
  expect(await f.d.ok("command rolls")).toEqual([]);
  const after = await pids(f.d);
  for (const w of ["w2", "w3", "w4"]) expect(after.get(w)).toBe(before.get(w));
  expect((await f.d.request("command roll_cancel 1")).error).toBe("no roll 1 under way");

  await f.d.ok(`service plain cmd=${workerCmd("--bind", "127.0.0.1:0")}`);
  await f.d.ok("service plain startwait_secs=0.2");
  await f.d.ok("command start service plain");
  await waitFor(async () => (await f.d.status("plain"))[1] === "running", "plain running");
  const oldPlain = Number((await f.d.status("plain"))[2]);
  const r = await cfkctl(f.d, "reload", "plain");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(new RegExp(`^plain: stopping pid ${oldPlain}, then starting a new one$`, "m"));
  expect(alive(oldPlain)).toBe(false);
});

test("kill -9 of cfkd during a reload's overlap: the next cfkd adopts the new generation and stops the old one", async () => {
  using t = tempDir();
  const home = join(t.path, "home");
  const first = await DaemonProcess.start({ home });
  let second: DaemonProcess | null = null;
  try {
    await first.ok("socket web host=127.0.0.1");
    await first.ok("socket web service=0");
    await first.ok("command bind web");
    await first.ok(`service w1 cmd=${workerCmd()}`);
    await first.ok("service w1 tie_stdin_to=web");
    await first.ok("service w1 startwait_secs=0.3");
    await first.ok("command start service w1");
    await waitFor(async () => (await first.status("w1"))[1] === "running", "w1 running");
    const old = Number((await first.status("w1"))[2]);
    await first.ok("service w1 startwait_secs=30"); // the new generation stays starting: a long overlap
    const c = await first.client();
    c.send("command reload service w1\n");
    const fresh = await waitFor(async () => {
      const st = await first.status("w1");
      return st.includes(`old_pid=${old}`) ? Number(st[2]) : null;
    }, "the overlap");
    await waitFor(() => readFileSync(join(home, "state"), "utf8").includes(`"older":{"pid":${old}`), "the state file records the old generation");
    // its one line written (output to a dead cfkd would be SIGPIPE, as for any service)
    await waitFor(async () => (await first.ok("command tail service w1")).some((l) => l.includes(`ready w1 ${fresh} `)), "the new generation's ready line");
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    expect(alive(old) && alive(fresh)).toBe(true); // both run on, unsupervised
    second = await DaemonProcess.start({ home });
    await waitFor(() => !alive(old), "the old generation stopped by the next cfkd");
    const st = await second.status("w1");
    expect([st[1], Number(st[2])]).toEqual(["running", fresh]);
    expect(alive(fresh)).toBe(true);
    expect(readFileSync(join(home, "cfkd.log"), "utf8")).toMatch(/adopted 1 \(w1\), stopped 1 \(w1's old generation\)/);
  } finally {
    await second?.[Symbol.asyncDispose]();
    await first[Symbol.asyncDispose]();
  }
});

test("a reload whose new generation dies keeps the old one serving (it shares the service's process tree)", async () => {
  await using f = await farm("startwait");
  const old = (await pids(f.d)).get("w1")!;
  await f.d.ok(`service w1 cmd=${JSON.stringify(["/bin/sh", "-c", "sleep 0.3; exit 3"])}`);
  const r = await cfkctl(f.d, "reload", "w1");
  expect(r.code).toBe(1);
  expect(r.err).toMatch(new RegExp(`w1: reload failed \\(Exited with error 3\\); pid ${old} keeps running`));
  const st = await f.d.status("w1");
  expect([st[1], Number(st[2])]).toEqual(["running", old]);
  expect(alive(old)).toBe(true);
  await answeredBy(f.port, [old]);
});
