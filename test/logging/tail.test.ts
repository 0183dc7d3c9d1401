/**
 * `command tail` over the raw management socket: recent lines, -f
 * streaming to several followers, and a follower too slow to keep up.
 */
import { expect, test } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { DaemonProcess, BUN, FIXTURES, tempDir, waitFor } from "../harness.ts";

/** A raw connection that keeps everything it receives. */
async function follower(sock: string, request: string): Promise<{ text: () => string; close: () => void }> {
  let text = "";
  const dec = new TextDecoder();
  const s = await Bun.connect({ unix: sock, socket: { data: (_s, d) => void (text += dec.decode(d, { stream: true })) } });
  s.write(request + "\n");
  return { text: () => text, close: () => s.end() };
}

async function declare(d: DaemonProcess, name: string, script: string, tags = ""): Promise<void> {
  await d.ok(`service ${name} cmd=${script}`);
  await d.ok(`service ${name} respawn_on_stop=0`);
  if (tags) await d.ok(`service ${name} tags=${tags}`);
}

async function printing(d: DaemonProcess, name: string, script: string, tags = ""): Promise<void> {
  await declare(d, name, script, tags);
  await d.ok(`command start service ${name}`);
}

test("tail -n: the last lines of one or several services, oldest first", async () => {
  await using d = await DaemonProcess.start();
  using dir = tempDir();
  // each service waits for its go-file, so arrival order is set by the test, not by timing
  const after = (go: string) => `while [ ! -e ${join(dir.path, go)} ]; do sleep 0.01; done`;
  await printing(d, "a", `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo a$i; done; echo oops >&2; ${after("a")}; echo late; exec sleep 60`, "grp");
  await waitFor(async () => (await d.ok("command tail service a -n 1"))[0] === "a\terr\toops", "a's lines");
  expect(await d.ok("command tail service a -n 3")).toEqual(["a\tout\ta11", "a\tout\ta12", "a\terr\toops"]);
  expect(await d.ok("command tail service a")).toHaveLength(10);
  expect(await d.ok("command tail service a -n 0")).toEqual([]);
  await printing(d, "b", `echo b1; ${after("b")}; echo b2; exec sleep 60`, "grp");
  await waitFor(async () => (await d.ok("command tail service b")).length === 1, "b's first line");
  writeFileSync(join(dir.path, "a"), "");
  await waitFor(async () => (await d.ok("command tail service a -n 1"))[0] === "a\tout\tlate", "a's late line");
  writeFileSync(join(dir.path, "b"), "");
  await waitFor(async () => (await d.ok("command tail service b")).length === 2, "b's lines");
  // arrival order across services: a's late line came between b1 and b2
  expect(await d.ok("command tail tag grp -n 4")).toEqual(["a\terr\toops", "b\tout\tb1", "a\tout\tlate", "b\tout\tb2"]);
  expect(await d.ok("command tail -n2")).toEqual(["a\tout\tlate", "b\tout\tb2"]);
  // several selectors in one request
  expect(await d.ok("command tail service b service a -n 3")).toEqual(["b\tout\tb1", "a\tout\tlate", "b\tout\tb2"]);
  expect((await d.request("command tail service a b")).error).toBe("unknown selector 'b'");

  expect((await d.request("command tail service nope")).error).toBe("unknown service 'nope'");
  expect((await d.request("command tail service a -n")).error).toBe("usage: tail [service NAME | tag TAG | all]... [-n LINES] [-f]");
  expect((await d.request("command tail service a -x")).error).toStartWith("usage: tail");
  expect((await d.request("command tail tag")).error).toBe("tag selector takes exactly 1 argument: tag");

  await d.ok("command destroy service b");
  await waitFor(async () => !(await d.ok("command list")).includes("b"), "b to be destroyed");
  expect(await d.ok("command tail tag grp -n 2")).toEqual(["a\terr\toops", "a\tout\tlate"]);
});

test("tail -f: backlog, then live lines, to several followers until they disconnect", async () => {
  await using d = await DaemonProcess.start();
  await printing(d, "tick", `["${BUN}","${join(FIXTURES, "ticker.ts")}"]`, "web");
  await waitFor(async () => (await d.ok("command tail service tick -n 1")).length === 1, "a first tick");
  const one = await follower(d.sock, "command tail service tick -n 2 -f");
  const two = await follower(d.sock, "command tail tag web -n 0 -f");
  await waitFor(() => one.text().split("\n").length > 8 && two.text().split("\n").length > 5, "lines to both followers");
  for (const f of [one, two]) {
    const lines = f.text().split("\n").slice(0, -1);
    expect(lines.every((l) => /^tick\tout\ttick \d+$/.test(l))).toBe(true);
    const n = lines.map((l) => Number(l.split(" ")[1]));
    expect(n).toEqual(n.map((_, i) => n[0]! + i)); // consecutive: nothing lost, nothing doubled
    expect(f.text()).not.toContain("OK\r\n");
  }
  one.close();
  two.close();
  await waitFor(async () => (await d.ok("command status service tick"))[0]!.includes("running"), "the daemon to go on");
  // a new follower after the others left still works
  const three = await follower(d.sock, "command tail all -n 0 -f");
  await waitFor(() => three.text().includes("tick\tout\ttick"), "lines to a later follower");
  three.close();
});

test("a follower that does not read loses lines, and is told so; nobody else is slowed", async () => {
  await using d = await DaemonProcess.start();
  // 3 MB of lines in 2 s: a reading client keeps up easily, but it is far
  // more than the slow client's socket and the console's 1 MiB for it hold
  const n = 26_000;
  const last = `${String(n - 1).padStart(18, "0")}${"x".repeat(81)}`;
  await declare(d, "flood", `["${BUN}","${join(FIXTURES, "pacedwriter.ts")}","${n}","130","10"]`);
  // the slow one follows everything and reads nothing until the end
  const slow = connect(d.sock);
  await new Promise((r) => slow.once("connect", r));
  slow.write("command tail all -n 0 -f\n");
  slow.pause();
  const fast = await follower(d.sock, "command tail service flood -n 0 -f");
  await d.ok("command version"); // both requests were read before this one

  await d.ok("command start service flood");
  await waitFor(() => fast.text().endsWith(`${last}\n`), "the fast follower to get every line", 20_000);
  const fastLines = fast.text().split("\n").slice(0, -1);
  expect(fastLines).toHaveLength(n);
  expect(fastLines.every((l, i) => l === `flood\tout\t${String(i).padStart(18, "0")}${"x".repeat(81)}`)).toBe(true);
  await waitFor(async () => (await Bun.file(join(d.home, "cfkd.log")).text()).includes(last), "every line in the log");

  let slowText = "";
  slow.on("data", (b: Buffer) => void (slowText += b.toString("latin1")));
  slow.resume();
  await waitFor(() => slowText.length > 0, "the slow follower's backlog");
  await printing(d, "after", "echo after; exec sleep 60");
  await waitFor(() => slowText.includes("after\tout\tafter\n"), "a line after the jam", 10_000);
  slow.destroy();
  fast.close();
  const m = /-\terr\t(\d+) lines dropped: this client reads too slowly\nafter\tout\tafter\n/.exec(slowText);
  expect(m).not.toBeNull();
  const got = slowText.split("\n").filter((l) => l.startsWith("flood\tout\t")).length;
  expect(got).toBeGreaterThan(0);
  expect(got + Number(m![1])).toBe(n);
}, 30_000);
