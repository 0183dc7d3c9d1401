/**
 * Issue 13, acceptance 2: kill -9 of cfkd with 20 services running, then a
 * new cfkd on the same home starts at once, finds the 20 (pid AND start
 * time), adopts them, and `start all` leaves exactly 20 instances; a pid
 * that the state file names but that now belongs to an unrelated process
 * is never signalled.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, DaemonProcess, tempDir, waitFor } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";

/** unique to this run, so a run elsewhere on the machine is never counted (or killed) */
const MARK = String(100_000 + (process.pid % 800_000) + Math.floor(Math.random() * 100_000));
const INTRUDER = String(Number(MARK) + 1_000_000);
const OTHER = String(Number(MARK) + 2_000_000);

/** pids of every `sleep MARK` on the machine. */
function instances(mark = MARK): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "latin1");
      if (/^(\S*\/)?sleep\0/.test(cmd) && cmd.endsWith(`\0${mark}\0`)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out.sort((a, b) => a - b);
}

test("kill -9 of cfkd with 20 services: the next cfkd adopts them, start all runs no second copy, an unrelated pid is left alone", async () => {
  using t = tempDir();
  const home = join(t.path, "home");
  const stmts = Array.from({ length: 20 }, (_, i) => `service s${String(i).padStart(2, "0")} cmd=sleep ${MARK}\nservice s${String(i).padStart(2, "0")} startwait_secs=0.05\n`).join("");
  await using first = await DaemonProcess.start({ home });
  await using _cleanup = leftovers(MARK);
  const ctl = (d: DaemonProcess, argv: string[], stdin?: string) => cfkctl(["--address", `unix:${d.sock}`, ...argv], fakeIo({ stdin }));
  expect((await ctl(first, ["load", "-"], stdin0(stmts))).code).toBe(0);
  expect((await ctl(first, ["start", "all"])).code).toBe(0);
  await waitFor(() => instances().length === 20, "20 instances");
  const state = join(home, "state");
  await waitFor(() => {
    try {
      return JSON.parse(readFileSync(state, "utf8")).services.length === 20;
    } catch {
      return false;
    }
  }, "the state file records the 20");
  const before = instances();

  first.proc.kill("SIGKILL");
  await first.proc.exited;
  expect(instances()).toEqual(before); // they run on, unsupervised

  // An unrelated process now holds a pid the state file names, with another start time.
  await using intruder = Bun.spawn(["sleep", INTRUDER]);
  const rec = JSON.parse(readFileSync(state, "utf8"));
  rec.services.push({ ...rec.services[0], name: "intruder", pid: intruder.pid, start_ticks: "1", statements: [`service intruder cmd=sleep ${INTRUDER}`] });
  writeFileSync(state, JSON.stringify(rec));

  await using second = await DaemonProcess.start({ home }); // no "already running"
  const log = await waitFor(() => {
    const text = readFileSync(join(home, "cfkd.log"), "utf8");
    return text.includes("previous cfkd") && text;
  }, "the report of what was found");
  expect(log).toMatch(/previous cfkd \(pid \d+\) died leaving 20 processes running: adopted 20 \(s00, s01, .*s19\), stopped 0; 1 already gone/);
  const st = JSON.parse((await ctl(second, ["--json", "status", "-l"])).out.join("\n"));
  expect(st.map((s: { name: string }) => s.name)).toEqual(Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, "0")}`));
  expect(st.every((s: { state: string; adopted?: boolean }) => s.state === "running" && s.adopted === true)).toBe(true);
  expect(st.map((s: { pid: number }) => s.pid).sort((a: number, b: number) => a - b)).toEqual(before);
  expect((await ctl(second, ["status", "-l", "s00"])).out.join("\n")).toContain("adopted after a crash of cfkd");

  const start = await ctl(second, ["start", "all"]);
  // every one refused as already up: the daemon answers with the first refusal
  expect(start).toMatchObject({ code: 1, err: ["error: Service 's00' is already up"] });
  expect(instances()).toEqual(before); // exactly 20, the same 20
  expect(alive(intruder.pid)).toBe(true);

  // an adopted process that dies is noticed (exit status unknown) and respawned
  process.kill(before[0]!, "SIGKILL");
  await waitFor(() => {
    const now = instances();
    return now.length === 20 && !now.includes(before[0]!);
  }, "the killed one respawned", 5000);
  const info = JSON.parse((await ctl(second, ["--json", "status", "-l"])).out.join("\n"));
  expect(info.filter((s: { restarts: number }) => s.restarts > 0)).toMatchObject([{ restarts: 1, last_failure: "Exit status unknown" }]);

  // stop reaches adopted processes too; the unrelated one is never touched
  expect((await ctl(second, ["stop", "all"])).code).toBe(0);
  await waitFor(() => instances().length === 0, "all 20 stopped");
  expect(alive(intruder.pid)).toBe(true);
});

test("a clean shutdown leaves no state file; a garbage one is ignored with a warning", async () => {
  using t = tempDir();
  const home = join(t.path, "home");
  {
    await using d = await DaemonProcess.start({ home });
    await using _cleanup = leftovers(OTHER);
    await d.ok(`service a cmd=sleep ${OTHER}`);
    await d.ok("command start service a");
    await waitFor(() => instances(OTHER).length === 1, "a runs");
    await waitFor(() => readdirSync(home).includes("state"), "state written");
    await d.ok("command shutdown");
    await d.proc.exited;
  }
  expect(readdirSync(home)).not.toContain("state");
  expect(instances(OTHER)).toEqual([]);
  writeFileSync(join(home, "state"), "{not json");
  await using d2 = await DaemonProcess.start({ home });
  await waitFor(() => readFileSync(join(home, "cfkd.log"), "utf8").includes(`ignoring ${join(home, "state")}:`), "the warning");
});

function stdin0(s: string): string {
  return s;
}

/** A failed run must not leave its orphans to the next one: kill what is left of `sleep MARK`. */
function leftovers(mark: string): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      for (const pid of instances(mark)) process.kill(pid, "SIGKILL");
    },
  };
}
