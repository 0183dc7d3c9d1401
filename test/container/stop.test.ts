/**
 * "stopped" means the whole tree is gone: a daemon double-forked into its
 * own session does not survive `stop` or `shutdown`, and a child that
 * lingers after its parent died holds the service in `stopping` until it
 * is gone. Both ways of knowing the tree: a cgroup v2 per service (where
 * cgroup2 is writable, as root here) and process groups plus adopted
 * orphans (`--cgroups off`).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { alive, procStat, waitFor } from "../harness.ts";
import { Cfkd, pidFrom } from "./helpers.ts";

const cgroupWritable = process.getuid?.() === 0;

const modes: [string, string[], boolean][] = [
  ["cgroup", [], cgroupWritable],
  ["process-group", ["--cgroups", "off"], true],
];

/** A service that double-forks `sleep 1000` into a session of its own and writes its pid to FILE. */
const daemonizer = (file: string) =>
  `service d cmd=(setsid sh -c 'echo $$ > ${file}; exec sleep 1000' &); exec sleep 1000\ncommand start service d\n`;

describe.each(modes)("%s mode", (mode, args, runs) => {
  test.skipIf(!runs)("a double-forked setsid daemon is gone after stop, and after shutdown", async () => {
    await using d = await Cfkd.start("", { args });
    const said = `process trees: ${mode === "cgroup" ? "cgroup v2" : "process groups"}`;
    await waitFor(async () => (await Bun.file(join(d.home, "cfkd.log")).text()).includes(said) || null, "cfkd to say which mode");
    const file = join(d.tmp, "daemon.pid");
    for (const line of daemonizer(file).trim().split("\n")) await d.ok(line);
    const escaped = await pidFrom(file);
    expect(procStat(escaped)!.ppid).toBe(d.cfkdPid); // adopted by cfkd, the subreaper
    expect(procStat(escaped)!.sid).toBe(escaped); // its own session: the group signal misses it
    // `info -l` counts it with the service
    const info = JSON.parse((await d.ok("command info -l service d"))[0]!) as { processes: number[] };
    expect(info.processes).toContain(escaped);
    await d.ok("command stop service d");
    await waitFor(async () => (await d.state("d"))[1] === "stopped" || null, "d to stop");
    expect(alive(escaped)).toBe(false);

    await Bun.write(file, "");
    await d.ok("command start service d");
    const again = await pidFrom(file);
    await d.ok("command shutdown");
    await d.proc.exited;
    expect(alive(again)).toBe(false);
  });

  test.skipIf(!runs)("stopped only once the tree is empty: a child that lingers 1 s after its parent died", async () => {
    await using d = await Cfkd.start("", { args });
    const file = join(d.tmp, "child.pid");
    // the child leaves the session and, on TERM, takes one more second
    await d.ok(`service l cmd=(setsid sh -c 'echo $$ > ${file}; trap "sleep 1; exit 0" TERM; while :; do sleep 0.05; done' &); exec sleep 1000`);
    await d.ok("service l stopwait_secs=10");
    await d.ok("command start service l");
    const child = await pidFrom(file);
    const t0 = performance.now();
    await d.ok("command stop service l");
    let seenStopping = false;
    await waitFor(async () => {
      const st = (await d.state("l"))[1];
      if (st === "stopping") seenStopping = true;
      if (st !== "stopped") return null;
      // the moment it says stopped, the child must be gone
      expect(alive(child)).toBe(false);
      return true;
    }, "l to stop", 8000, 5);
    expect(seenStopping).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
  });

  test.skipIf(!runs)("one that forks 200 children and exits leaves none; one that SIGSTOPs itself is still stopped", async () => {
    await using d = await Cfkd.start("", { args });
    const mark = `${Date.now() % 100000}.5`; // a unique sleep argument to find them by
    await d.ok(`service forker cmd=i=0; while [ $i -lt 200 ]; do sleep ${mark} & i=$((i+1)); done; exit 3`);
    await d.ok("service forker respawn_on_fail=0");
    await d.ok("service forker startwait_secs=0");
    await d.ok("service frozen cmd=kill -STOP $$; sleep 1000");
    await d.ok("service frozen stopwait_secs=1");
    await d.ok("command start all");
    await waitFor(async () => (await d.state("forker"))[1] === "fail" || null, "forker to end", 10000);
    expect(sleepers(mark)).toEqual([]);
    await waitFor(async () => (await d.state("frozen"))[1] === "running" || null, "frozen to run");
    await d.ok("command stop service frozen");
    await waitFor(async () => ["stopped", "fail"].includes((await d.state("frozen"))[1]!) || null, "frozen to be down", 5000);
  });
});

/** Live processes running `sleep ARG`. */
function sleepers(arg: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, "utf8") === `sleep\0${arg}\0` && alive(Number(e));
      } catch {
        return false;
      }
    })
    .map(Number);
}
