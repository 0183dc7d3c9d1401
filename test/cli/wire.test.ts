/**
 * What cfkctl puts on the wire is what ControlFreak 1.0's client sent: one
 * CRLF-terminated request per service reference, `exit` at the end — and it
 * reads replies line by line as that client did. Checked against a fake
 * cfkd that records the bytes; tail (whose daemon side is built elsewhere)
 * is checked against the SPEC's wire format the same way.
 */
import { expect, test } from "bun:test";
import { FakeCfkd } from "./fake-cfkd.ts";
import { cfkctl, fakeIo } from "./fake-io.ts";
import { join } from "node:path";
import { tempDir, waitFor } from "../harness.ts";

const status = (name: string, state = "stopped") => `${name}\t${state}\t\t\t\t\t\t\n`;

test("one request per svcref, CRLF, then exit; answers merged, unique and sorted", async () => {
  using d = new FakeCfkd((line) => {
    if (line === "command status service zed") return status("zed") + "OK\r\n";
    if (line === "command status tag web") return status("web2", "running") + status("web1") + status("zed") + "OK\r\n";
    return "";
  });
  const r = await cfkctl(["--address", d.path, "status", "zed", "@web"]);
  expect(r.code).toBe(0);
  expect(r.out.map((l) => l.trimEnd())).toEqual(["stopped  web1", "running  web2", "stopped  zed"]);
  await waitFor(() => d.lines.length === 3, "exit line");
  expect(d.lines).toEqual(["command status service zed\r\n", "command status tag web\r\n", "exit\r\n"]);
});

test("status goes on past an ERROR for one reference and exits 1", async () => {
  using d = new FakeCfkd((line) => (line.includes("nosuch") ? "ERROR: unknown service 'nosuch'\r\n" : line.startsWith("command") ? status("a") + "OK\r\n" : ""));
  const r = await cfkctl(["--address", d.path, "status", "nosuch", "a"]);
  expect(r.code).toBe(1);
  expect(r.err).toEqual(["error: unknown service 'nosuch'"]);
  expect(r.out.map((l) => l.trimEnd())).toEqual(["stopped  a"]);
});

test("a reply split anywhere, even inside a UTF-8 character, reads the same", async () => {
  const reply = Buffer.from("caf\u00e9\tstopped\t\t\t\t\t\t\nOK\r\n");
  using d = new FakeCfkd((line, s) => {
    if (!line.startsWith("command")) return "";
    // one byte at a time
    let i = 0;
    const tick = () => {
      if (i < reply.length) {
        s.write(reply.subarray(i, i + 1));
        i++;
        setTimeout(tick, 0);
      }
    };
    tick();
    return "";
  });
  const r = await cfkctl(["--address", d.path, "list"]);
  expect(r.code).toBe(0);
  expect(r.out).toEqual(["caf\u00e9\tstopped\t\t\t\t\t\t"]);
});

test("a daemon that hangs up mid-reply: exit 3 naming the address, no hang", async () => {
  using d = new FakeCfkd((line, s) => {
    if (line.startsWith("command")) {
      s.write("half a bod");
      s.end();
    }
    return "";
  });
  const r = await cfkctl(["--address", d.path, "list"]);
  expect(r.code).toBe(3);
  expect(r.err.join("\n")).toContain(`unix:${d.path}`);
});

test("a daemon that refuses the connection with an ERROR before any request: that error, exit 1", async () => {
  using t = tempDir();
  const path = join(t.path, "sock");
  const l = Bun.listen({ unix: path, socket: { open: (s) => void s.end("ERROR: too many connections (limit 1)\r\n"), data() {} } });
  try {
    const r = await cfkctl(["--address", path, "version"]);
    expect(r).toMatchObject({ code: 1, err: ["error: too many connections (limit 1)"] });
  } finally {
    l.stop(true);
  }
});

test("tail: `command tail SEL -n N` per reference, lines printed as name: line", async () => {
  using d = new FakeCfkd((line) => {
    if (line === "command tail service web1 -n 2") return "web1\tout\tfirst\nweb1\terr\tsecond\nOK\r\n";
    if (line === "command tail tag db -n 2") return "db1\tout\tthird\nOK\r\n";
    return "";
  });
  const r = await cfkctl(["--address", d.path, "tail", "web1", "@db", "-n", "2"]);
  expect(r.code).toBe(0);
  expect(r.out).toEqual(["web1: first", "web1 (stderr): second", "db1: third"]);
  const j = await cfkctl(["--address", d.path, "--json", "tail", "web1", "-n", "2"], fakeIo());
  expect(j.out.map((l) => JSON.parse(l))).toEqual([
    { name: "web1", stream: "out", line: "first" },
    { name: "web1", stream: "err", line: "second" },
  ]);
});

test("tail -f: one streaming connection per reference, lines as they come, Ctrl-C exits 0", async () => {
  using d = new FakeCfkd((line) => {
    if (line === "command tail service web1 -f") return "web1\tout\told line\n";
    if (line === "command tail service web2 -f") return "";
    return "";
  });
  const io = fakeIo();
  const run = cfkctl(["--address", d.path, "tail", "-f", "web1", "web2"], io);
  await waitFor(() => io.stdout.includes("web1: old line") && d.conns.size === 2 && d.lines.length === 2, "both streams open");
  for (const s of d.conns) s.write(s === [...d.conns][1] ? "web2\terr\tlive\n" : "web1\tout\tlive\n");
  await waitFor(() => io.stdout.length === 3, "live lines");
  expect(io.stdout.slice(1).sort()).toEqual(["web1: live", "web2 (stderr): live"]);
  io.interrupt();
  const r = await run;
  expect(r.code).toBe(0);
  expect(r.err).toEqual([]);
  await waitFor(() => d.conns.size === 0, "connections closed by the client");
});

test("tail of an unknown service: the daemon's error, exit 1", async () => {
  using d = new FakeCfkd((line) => (line.startsWith("command tail") ? "ERROR: unknown service 'nope'\r\n" : ""));
  const r = await cfkctl(["--address", d.path, "tail", "nope"]);
  expect(r.code).toBe(1);
  expect(r.err).toEqual(["error: unknown service 'nope'"]);
});

test("status -l against the original cfkd (no 'command info'): the status line's facts, exit 0", async () => {
  using d = new FakeCfkd((line) => {
    if (line === "command status service web") return "web\tfail\t\t\t1257956169\t\tExited with error 3\t\nOK\r\n";
    if (line.startsWith("command info")) return "ERROR: unknown command 'info'\r\n";
    return "";
  });
  const r = await cfkctl(["--address", d.path, "status", "-l", "web"]);
  expect(r.code).toBe(0);
  expect(r.err).toEqual([]);
  expect(r.out[0]).toMatch(/^fail     web  .*\)  Exited with error 3$/);
  expect(r.out[1]).toBe("         why: Exited with error 3");
  await waitFor(() => d.lines.includes("exit\r\n"), "exit line");
  expect(d.lines).toEqual(["command status service web\r\n", "command info -l service web\r\n", "exit\r\n"]);
});
