/**
 * cfkd as PID 1 of a new PID namespace (a container's entrypoint): it reaps
 * every orphan, shuts down within --grace on SIGTERM, and exits with the
 * code the rule says (docs/container.md).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BUN, CFKD, tempDir, waitFor } from "../harness.ts";
import { canUnshare, Cfkd, treeOf, zombiesBelow } from "./helpers.ts";

describe.skipIf(!canUnshare)("cfkd as PID 1", () => {
  test("1,000 double-forked orphans are all reaped", async () => {
    // each `( … &)` subshell forks `true` and exits at once: `true` is
    // orphaned to PID 1 and dies there
    const conf = `service orphans cmd=i=0; while [ $i -lt 1000 ]; do (true &); i=$((i+1)); done; echo done; exec sleep 1000\ncommand start service orphans\n`;
    await using d = await Cfkd.start(conf, { pidNamespace: true, args: ["--grace", "5"] });
    const pid1 = d.cfkdPid;
    expect(pid1).not.toBe(d.proc.pid);
    await waitFor(() => d.stdout.includes("orphans | done"), "the service to fork its 1,000 orphans", 20000);
    // at the end only the service's own sleep is left below PID 1, and no zombie
    await waitFor(() => (zombiesBelow(pid1).length === 0 && treeOf(pid1).length === 1) || null, "no zombie left in the namespace", 5000);
  });

  test("SIGTERM: every service stops in order, one that ignores TERM is SIGKILLed at --grace, exit 137", async () => {
    const conf = [
      "service a cmd=sleep 1000",
      "service b cmd=sleep 1000",
      // stopwait longer than the grace: only the grace limit ends it
      `service stubborn cmd=trap "" TERM; while :; do sleep 0.2; done`,
      "service stubborn stopwait_secs=60",
      "command start all",
    ].join("\n");
    await using d = await Cfkd.start(conf, { pidNamespace: true, args: ["--grace", "2"] });
    await waitFor(async () => (await d.state("stubborn"))[1] === "running" || null, "stubborn to run", 5000);
    const t0 = performance.now();
    process.kill(d.cfkdPid, "SIGTERM");
    const code = await d.proc.exited;
    const secs = (performance.now() - t0) / 1000;
    expect(code).toBe(137);
    expect(secs).toBeGreaterThanOrEqual(1.9);
    expect(secs).toBeLessThan(4.5);
    expect(d.stdout).toContain("shutdown grace of 2s is over: SIGKILL to everything left");
    // stopped in the existing order (by name): a, b, then stubborn
    const order = [...d.stdout.matchAll(/Stopping service '(\w+)'/g)].map((m) => m[1]);
    expect(order).toEqual(["a", "b", "stubborn"]);
  });

  test("SIGTERM with after=: dependents stop first, the reverse of the start order", async () => {
    const conf = ["service db cmd=sleep 1000", "service app cmd=sleep 1000", "service app after=db", "service zz cmd=sleep 1000", "service zz after=app", "command start all"].join("\n");
    await using d = await Cfkd.start(conf, { pidNamespace: true, args: ["--grace", "5"] });
    await waitFor(async () => (await d.state("zz"))[1] === "running" || null, "zz to run", 5000);
    process.kill(d.cfkdPid, "SIGTERM");
    expect(await d.proc.exited).toBe(0);
    const order = [...d.stdout.matchAll(/Stopping service '(\w+)'/g)].map((m) => m[1]);
    expect(order).toEqual(["zz", "app", "db"]);
  });

  test("an essential service's exit 7 ends cfkd with 7; the others are stopped first", async () => {
    const conf = [
      "service other cmd=sleep 1000",
      "service main cmd=sleep 0.3; exit 7",
      "service main essential=1",
      "service main startwait_secs=0",
      "command start all",
    ].join("\n");
    await using d = await Cfkd.start(conf, { pidNamespace: true });
    const code = await d.proc.exited;
    expect(code).toBe(7);
    expect(d.stdout).toContain("essential service main ended (exit code 7)");
    expect(d.stdout).toContain("Stopping service 'other'");
  });

  test("SIGTERM twice: still one clean shutdown, exit 0", async () => {
    await using d = await Cfkd.start("service a cmd=sleep 1000\ncommand start all\n", { pidNamespace: true });
    const pid = d.cfkdPid;
    process.kill(pid, "SIGTERM");
    process.kill(pid, "SIGTERM");
    expect(await d.proc.exited).toBe(0);
    expect(d.stdout.match(/shutting down/g)?.length).toBe(1);
  });
});

test("not PID 1: cfkd is a child subreaper, reaps the orphans it adopts and spares its own children's exits", async () => {
  const conf = [
    "service orphans cmd=i=0; while [ $i -lt 200 ]; do (true &); i=$((i+1)); done; echo done; exec sleep 1000",
    // Bun's own children still report their exit codes to cfkd (the reaper never takes them)
    `service quick cmd=["sh","-c","exit 3"]`,
    "service quick respawn_on_fail=0",
    "service quick startwait_secs=5",
    "command start all",
  ].join("\n");
  await using d = await Cfkd.start(conf, { args: ["--log-stdout"] });
  await waitFor(() => d.stdout.includes("orphans | done") || null, "the orphans to be forked", 10000);
  await waitFor(() => (zombiesBelow(d.cfkdPid).length === 0 && treeOf(d.cfkdPid).length === 1) || null, "no zombie below cfkd", 5000);
  await waitFor(async () => (await d.state("quick"))[6] === "Exited with error 3" || null, "quick's exit code");
});

test("--init: an essential service that cannot start ends cfkd with exit 1, even while the config loads", async () => {
  using dir = tempDir("cfkd-ess-");
  const conf = join(dir.path, "c.conf");
  await Bun.write(conf, "service main cmd=/nonexistent/program\nservice main essential=1\ncommand start all\n");
  const p = Bun.spawn([BUN, CFKD, "--home", join(dir.path, "home"), "-c", conf, "--init"], { stdio: ["ignore", "pipe", "pipe"] });
  expect(await p.exited).toBe(1);
  expect(await new Response(p.stdout as ReadableStream).text()).toContain("essential service main ended (exit code 1)");
});
