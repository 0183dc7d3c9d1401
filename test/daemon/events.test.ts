/**
 * Issue 16 acceptance 3: `command events` and `cfkctl events` against a real
 * cfkd — the exact sequence of transitions, in order; history with -n; the
 * read-only console; a reader that never reads costs bounded memory and is
 * told how many events it missed, while everyone else is served.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import { DaemonProcess, tempDir, waitFor } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";
import { eventFromWire } from "../../src/protocol/events.ts";

let d: DaemonProcess;
const ro = tempDir("cfk-ro-");
beforeAll(async () => {
  d = await DaemonProcess.start({ args: ["--readonly-address", `unix:${join(ro.path, "ro.sock")}`] });
});
afterAll(async () => {
  await d?.[Symbol.asyncDispose]();
  ro[Symbol.dispose]();
});

const ctl = (io: ReturnType<typeof fakeIo>, ...argv: string[]) => cfkctl(["--address", `unix:${d.sock}`, ...argv], io);
type Ev = { name: string; from: string; to: string; pid: number | null; reason: string; at: string };

describe("events", () => {
  test("cfkctl events -f --json: start, kill, stop arrive as the exact sequence, in order", async () => {
    await d.ok("service ev1 cmd=sleep 100");
    await d.ok("service ev1 startwait_secs=0.1");
    const state = async () => (await d.status("ev1"))[1];
    // one change on record, so that the follower's first line (-n 1) says it is listening
    await d.ok("command start service ev1");
    await waitFor(async () => ((await state()) === "starting" ? true : null), "ev1 starting");
    await d.ok("command stop service ev1");
    await waitFor(async () => ((await state()) === "stopped" ? true : null), "ev1 stopped");
    const io = fakeIo();
    const run = ctl(io, "events", "-f", "-n", "1", "--json", "ev1");
    const all = () => io.stdout.filter((l) => l !== "").map((l) => JSON.parse(l) as Ev);
    await waitFor(() => (all().length === 1 ? true : null), "the follower's first line");
    const events = () => all().slice(1);
    await d.ok("command start service ev1");
    const [, , pid1] = await waitFor(async () => ((await d.status("ev1"))[1] === "running" ? d.status("ev1") : null), "ev1 running");
    process.kill(Number(pid1), "SIGKILL");
    await waitFor(async () => {
      const [, st, pid] = await d.status("ev1"); // one answer: state and pid of the same moment
      return st === "running" && pid !== pid1 ? true : null;
    }, "ev1 back");
    await d.ok("command stop service ev1");
    await waitFor(() => (events().length >= 7 ? true : null), "seven events");
    io.interrupt();
    expect(await run).toMatchObject({ code: 0 });
    const seq = events().map((e) => `${e.from}>${e.to}`);
    expect(seq).toEqual(["stopped>starting", "starting>running", "running>fail", "fail>starting", "starting>running", "running>stopping", "stopping>stopped"]);
    const ev = events();
    expect(ev[2]).toMatchObject({ pid: Number(pid1), reason: "Received signal 9" });
    expect(ev[1]!.pid).toBe(Number(pid1));
    expect(ev[6]!.pid).toBe(ev[4]!.pid);
    for (const e of ev) expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = ev.map((e) => Date.parse(e.at));
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });

  test("-n: the recent changes, then OK; cfkctl events prints them; bad options are refused", async () => {
    const hist = (await d.ok("command events service ev1 -n 3")).map(eventFromWire);
    expect(hist.map((e) => e?.kind === "change" && `${e.from}>${e.to}`)).toEqual(["starting>running", "running>stopping", "stopping>stopped"]);
    const r = await ctl(fakeIo(), "events", "ev1", "-n", "2");
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^\S+Z ev1 running -> stopping \(pid \d+\)$/);
    expect(r.out[1]).toMatch(/^\S+Z ev1 stopping -> stopped \(pid \d+\)$/);
    expect((await d.request("command events -x")).error).toBe("usage: events [service NAME | tag TAG | all]... [-n EVENTS] [-f]");
    expect((await d.request("command events service nosuch")).error).toBe("unknown service 'nosuch'");
  });

  test("allowed on the read-only console", async () => {
    const r = await cfkctl(["--address", `unix:${join(ro.path, "ro.sock")}`, "events", "ev1", "-n", "1"], fakeIo());
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out).toHaveLength(1);
  });

  test("a reader that never reads: bounded, told how many it missed, the daemon serves everyone else", async () => {
    // 20 KB names make each event line 20 KB: the socket's buffers fill in a few dozen events
    const name = "n" + "x".repeat(20_000);
    await d.ok(`service ${name} cmd=true`);
    await d.ok(`service ${name} respawn_on_stop=1`);
    const sock = connect(d.sock);
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.write("command events\r\n");
    sock.pause(); // never read
    await d.ok(`command start service ${name}`);
    // a flapping service: hundreds of events while the reader sleeps; others are answered meanwhile
    const t0 = Date.now();
    await waitFor(async () => (Date.now() - t0 > 1500 ? true : null), "1.5 s of flapping");
    const t = performance.now();
    expect((await d.ok("command list")).length).toBeGreaterThan(0);
    const answerMs = performance.now() - t;
    await d.ok(`command down service ${name}`);
    await waitFor(async () => ((await d.status(name))[1] === "stopped" ? true : null), "the flapping service stopped");
    // now read: somewhere there is a line that says how many were missed
    let text = "";
    sock.on("data", (b) => (text += b.toString()));
    sock.resume();
    await d.ok(`command start service ${name}`); // a change after the drain carries the count
    await waitFor(() => (/\t-\t\t\t\t\d+ events? missed: this client reads too slowly\n/.test(text) ? true : null), "the missed line", 10_000);
    await d.ok(`command down service ${name}`);
    sock.destroy();
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.includes("\t-\t"));
    const missed = eventFromWire(lines[at]!);
    expect(missed).toMatchObject({ kind: "missed" });
    expect((missed as { count: number }).count).toBeGreaterThan(10);
    // what it was sent before the gap is what 64 KiB and the socket's buffers hold (20 KB lines): bounded
    expect(at).toBeLessThan(100);
    expect(answerMs).toBeLessThan(1000);
  });
});
