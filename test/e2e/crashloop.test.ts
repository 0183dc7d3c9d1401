/**
 * Issue 16 acceptance 1–2: a crash after `running` is bounded, reaches
 * `fatal` with `N restarts in M s`, fatal_retry_secs brings it back, a
 * stable run starts the count again; cfkctl status shows the pending retry
 * and --json the counters. Real daemon, real processes.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, daemonPerFile, waitFor } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";
import { infoFromWire, type InfoRecord } from "../../src/protocol/status.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

const details = async (name: string): Promise<InfoRecord> => infoFromWire((await d.ok(`command info service ${name}`))[0]!)!;
const ctl = (...argv: string[]) => cfkctl(["--address", `unix:${d.sock}`, ...argv], fakeIo());

describe("crash loops", () => {
  test("exit 1 after 100 ms of running: bounded, fatal with 'N restarts in M s', back after fatal_retry_secs=2", async () => {
    // every crash-loop property at its default, except the retry of the fatal state
    await d.ok(`service loop cmd=["/bin/sh","-c","sleep 0.2; exit 1"]`);
    await d.ok("service loop startwait_secs=0.1");
    await d.ok("service loop fatal_retry_secs=2");
    const t0 = Date.now();
    await d.ok("command start service loop");
    const seen = new Set<string>();
    const fatal = await waitFor(async () => {
      const s = await d.status("loop");
      seen.add(s[1]!);
      return s[1] === "fatal" ? s : null;
    }, "loop to be fatal", 15000);
    const secs = (Date.now() - t0) / 1000;
    const det = await details("loop");
    // max_restarts=5: the sixth crash within restart_window_secs=60 is fatal
    expect(det.restarts).toBe(5);
    expect(fatal[6]).toMatch(/^5 restarts in \d+(\.\d)? s$/);
    expect(seen.has("backoff")).toBe(true);
    // six runs of ≥ 0.2 s and four backoffs of ≥ 0.3 s each: never a tight loop
    expect(secs).toBeGreaterThan(6 * 0.2 + 4 * 0.3);
    console.log(`  crash loop with defaults: 6 starts in ${secs.toFixed(1)} s = ${Math.round((6 / secs) * 60)} starts/min, then fatal (before: a start every 0.2 s, forever)`);
    expect(det.last_exit).toMatchObject({ code: 1, signal: null });
    expect(det.next_attempt_at).toBeGreaterThan(Date.now() / 1000);

    // the pending retry shows in cfkctl status, and --json -l has the counters
    const human = await ctl("status", "loop");
    expect(human.out[0]).toMatch(/^fatal +loop {17}retry in [0-2]\.\d s  5 restarts in \d+(\.\d)? s; restarts: 5$/);
    const [j] = JSON.parse((await ctl("--json", "status", "-l", "loop")).out.join("\n"));
    expect(j).toMatchObject({ state: "fatal", restarts: 5, consecutive_failures: 6, attempt: null, last_exit: { code: 1, signal: null } });
    expect(j.next_attempt_at).toBeCloseTo(det.next_attempt_at!, 3);

    // fatal_retry_secs=2: it starts again, afresh
    const back = await waitFor(async () => ((await details("loop")).restarts === 6 ? Date.now() : null), "the retry", 5000);
    expect(back - t0).toBeGreaterThanOrEqual(secs * 1000 + 1500);
    expect((await details("loop")).consecutive_failures).toBe(0);
    await d.ok("command stop service loop");
    await waitFor(async () => ((await d.status("loop"))[1] === "stopped" ? true : null), "loop stopped");
  });

  test("a run that lasted stable_secs resets the count: its crash restarts at once, as attempt 1", async () => {
    const count = join(d.home, "stable-count");
    // runs 1 and 2 crash after 0.2 s; later runs last 1.2 s (stable_secs=0.5), then crash
    const script = `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; if [ $n -lt 2 ]; then sleep 0.2; else sleep 1.2; fi; exit 1`;
    await d.ok(`service st cmd=${JSON.stringify(["/bin/sh", "-c", script])}`);
    await d.ok("service st startwait_secs=0.1");
    await d.ok("service st stable_secs=0.5");
    await d.ok("command start service st");
    // run 2 crashed without a stable run: a backoff, second in a row
    const b = await waitFor(async () => ((await details("st")).consecutive_failures === 2 ? details("st") : null), "two failures in a row");
    expect(b.restarts).toBeLessThanOrEqual(2);
    // run 3 is stable: the counters go back to 0 while it runs
    await waitFor(async () => ((await details("st")).restarts === 2 && (await details("st")).consecutive_failures === 0 ? true : null), "the reset");
    // its crash is the first in a row again: restarted at once, not backed off
    const after = await waitFor(async () => {
      const x = await details("st");
      return x.restarts === 3 ? x : null;
    }, "the restart after the stable run", 5000);
    expect(after.consecutive_failures).toBe(1);
    expect(after.next_attempt_at).toBeNull();
    expect(["starting", "running"]).toContain((await d.status("st"))[1]!);
    await d.ok("command stop service st");
  });

  test("cfkctl status: 'retry in … (attempt n of m)' for a service backing off", async () => {
    await d.ok("service bo cmd=false");
    await d.ok("command start service bo");
    const line = await waitFor(async () => {
      const r = await ctl("status", "bo");
      return r.out[0]?.startsWith("backoff") ? r.out[0] : null;
    }, "bo to back off", 5000, 5);
    expect(line).toMatch(/^backoff +bo {19}retry in \d\.\d s \(attempt \d of 8\)  Exited with error 1(; restarts: \d+)?$/);
    await d.ok("command down service bo");
  });

  test("bad values are refused with the property's name; the old value stays", async () => {
    await d.ok("service bad max_restarts=3");
    for (const [prop, v] of [["max_restarts", "-1"], ["stable_secs", "soon"], ["fatal_retry_secs", "-2"], ["respawn_delay_max", "1e3"], ["on_change_timeout_secs", "0"]]) {
      const r = await d.request(`service bad ${prop}=${v}`);
      expect(r.error).toStartWith(`${prop}: invalid value '${v}' (expected `);
    }
    // an original property keeps the original's words
    expect((await d.request("service bad respawn_max_retries=0")).error).toBe("invalid value");
    expect((await details("bad")).restarts).toBe(0);
    await d.ok("service bad max_restarts=");
  });
});
