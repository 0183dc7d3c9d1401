/**
 * Issue 14 acceptance 4–5 (daemon side): start order with `after=`, the
 * cycle refusal, shutdown in reverse order, and `command wait`.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, waitFor } from "../harness.ts";

/** A Python service that writes the time to `file`, then (`then`) goes on. */
const py = (file: string, then: string) =>
  JSON.stringify(["python3", "-c", `import os,time\n${then === "ready" ? "time.sleep(1)\n" : ""}open(${JSON.stringify(file)},"w").write(repr(time.time()))\n${then === "ready" ? "os.write(3, b'\\n')\n" : ""}time.sleep(100)`]);

describe("after=", () => {
  test("start @web starts db first, holds web 'waiting for db', and web starts after db is ready", async () => {
    await using d = await DaemonProcess.start();
    const dbReady = join(d.home, "db-ready");
    // db: ready 1 s after it starts, saying so on fd 3 (and when)
    await d.ok(`service db cmd=${py(dbReady, "ready")}`);
    await d.ok("service db ready=fd:3");
    for (const w of ["web1", "web2", "web3"]) {
      await d.ok(`service ${w} cmd=${py(join(d.home, w), "start")}`);
      await d.ok(`service ${w} tags=web`);
      await d.ok(`service ${w} after=db`);
      await d.ok(`service ${w} startwait_secs=0.1`);
    }
    await d.ok("command start tag web");
    const held = (await d.status("web2"));
    expect(held[1]).toBe("starting");
    expect(held[2]).toBe(""); // nothing spawned yet
    expect(held.slice(8)).toContain("waiting=waiting for db");
    expect((await d.status("db"))[1]).toBe("starting");
    await using c = await d.client();
    const r = await c.request("command wait --timeout 10 tag web service db", 12000);
    expect(r.error).toBeUndefined();
    expect(r.body).toEqual(["db\trunning", "web1\trunning", "web2\trunning", "web3\trunning"]);
    const ready = Number(readFileSync(dbReady, "utf8"));
    for (const w of ["web1", "web2", "web3"]) {
      const file = join(d.home, w);
      const t = await waitFor(() => (existsSync(file) && readFileSync(file, "utf8")) || null, `${w}'s start time`);
      expect(Number(t)).toBeGreaterThan(ready);
    }

    // shutdown: web before db
    d.proc.kill("SIGTERM");
    await d.proc.exited;
    const log = readFileSync(join(d.home, "cfkd.log"), "utf8");
    const at = (s: string) => log.indexOf(s);
    expect(at("Stopping service 'db'")).toBeGreaterThan(0);
    for (const w of ["web1", "web2", "web3"]) {
      expect(at(`child ${w} gracefully killed`)).toBeGreaterThan(0);
      expect(at(`child ${w} gracefully killed`)).toBeLessThan(at("Stopping service 'db'"));
    }
  });

  test("a cycle is refused when declared, naming it; so is after= itself; the old value stays", async () => {
    await using d = await DaemonProcess.start();
    await d.ok("service a cmd=sleep 1");
    await d.ok("service b cmd=sleep 1");
    await d.ok("service c cmd=sleep 1");
    await d.ok("service a after=b");
    await d.ok("service b after=c");
    const r = await d.request("service c after=a");
    expect(r.error).toBe("invalid value: after: cycle c → a → b → c");
    expect((await d.request("service a after=a")).error).toBe("invalid value: after: 'a' cannot come after itself");
    // through a tag (a service is never its own dependency through its tag)
    await d.ok("service a tags=front");
    expect((await d.request("service c after=@front")).error).toBe("invalid value: after: cycle c → a → b → c");
    const desc = (await d.ok("command desc service a"))[0]!;
    expect(desc).toContain("\tafter=b");
  });

  test("a dependency that goes fatal fails the held dependent with that reason; stop --with-dependents", async () => {
    await using d = await DaemonProcess.start();
    await d.ok("service bad cmd=false");
    await d.ok("service bad respawn_max_retries=1");
    await d.ok("service app cmd=sleep 100");
    await d.ok("service app after=bad");
    await d.ok("command start service app");
    const s = await waitFor(async () => {
      const s = await d.status("app");
      return s[1] === "fail" ? s : null;
    }, "app to fail");
    expect(s[6]).toBe("dependency 'bad' is fatal: Exited with error 1");

    await d.ok("service base cmd=sleep 100");
    await d.ok("service base startwait_secs=0.1");
    await d.ok("service top cmd=sleep 100");
    await d.ok("service top startwait_secs=0.1");
    await d.ok("service top after=base");
    await d.ok("command start service top");
    await using c = await d.client();
    expect((await c.request("command wait --timeout 5 service top")).error).toBeUndefined();
    // a plain stop of the dependency leaves its dependent up
    await d.ok("command stop service base");
    expect((await c.request("command wait --state stopped --timeout 5 service base")).error).toBeUndefined();
    expect((await d.status("top"))[1]).toBe("running");
    await d.ok("command start service base");
    expect((await c.request("command wait --timeout 5 service base")).error).toBeUndefined();
    await d.ok("command stop --with-dependents service base");
    expect((await c.request("command wait --state stopped --timeout 5 service base service top")).error).toBeUndefined();
  });
});

describe("command wait", () => {
  test("times out naming who is not there, fails on fatal, and the connection answers again after", async () => {
    await using d = await DaemonProcess.start();
    await d.ok("service x cmd=sleep 100");
    await d.ok("service x startwait_secs=0.1");
    await d.ok("command start service x");
    await using c = await d.client();
    expect((await c.request("command wait service x")).body).toEqual(["x\trunning"]);
    const t = await c.request("command wait --state stopped --timeout 0.3 service x");
    expect(t.error).toBe("timeout after 0.3s: x is running");
    expect((await c.request("command version")).error).toBeUndefined();
    await d.ok("service f cmd=false");
    await d.ok("service f respawn_max_retries=2");
    await d.ok("command start service f");
    const f = await c.request("command wait --timeout 10 service f");
    expect(f.error).toBe("f is fatal: Exited with error 1");
    expect((await c.request("command wait --state sideways service f")).error).toBe("wait: --state must be running or stopped");
    expect((await c.request("command wait service nope")).error).toBe("Couldn't find a valid service. bailing.");
  });
});

test("docs/readiness.md's dependency example runs as written", async () => {
  const doc = readFileSync(join(import.meta.dir, "../../docs/readiness.md"), "utf8");
  const block = /### The dependency example\s+```\n([\s\S]*?)```/.exec(doc)![1]!;
  await using d = await DaemonProcess.start();
  for (const line of block.trim().split("\n")) await d.ok(line);
  await using c = await d.client();
  expect((await c.ok("command start tag web"))).toEqual(["done 2"]);
  expect((await d.status("web1")).slice(8)).toContain("waiting=waiting for db");
  expect(await c.ok("command wait --timeout 10 --fail-on-backoff tag web")).toEqual(["web1\trunning", "web2\trunning"]);
  expect((await d.status("db"))[1]).toBe("running");
});
