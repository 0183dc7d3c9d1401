/**
 * The lean parser (argv.ts) may decline a command line, never disagree with
 * the commander program (program.ts): for every line here, either it
 * declines, or both give the same invocation. Everyday lines must not be
 * declined (they would pay for loading commander).
 */
import { expect, test } from "bun:test";
import { parseFast } from "../../src/cli/argv.ts";
import { parseWithCommander } from "../../src/cli/program.ts";
import { CliError } from "../../src/cli/errors.ts";

const sink = { out: () => {}, err: () => {} };

function viaCommander(argv: string[]) {
  try {
    return parseWithCommander(argv, sink);
  } catch (e) {
    if (e instanceof CliError) return `usage error (exit ${e.exitCode})`;
    throw e;
  }
}

const EVERYDAY = [
  "status",
  "status web1 @prod",
  "status all",
  "--json status",
  "status --json",
  "--address unix:/tmp/s status",
  "--address=/tmp/s status",
  "--address 127.0.0.1:7000 pids",
  "--auth-token-file /etc/cfk/token --address 10.0.0.1:7000 status",
  "--auth-token-file=/etc/cfk/token list",
  "--timeout 3 status",
  "--timeout=0.5 pids",
  "status --timeout 0",
  "start svc1",
  "start @web",
  "stop svc1 svc2",
  "restart all",
  "up @web",
  "down @web",
  "destroy old",
  "pid svc1",
  "pids",
  "desc",
  "desc svc1",
  "list",
  "version",
  "shutdown",
  "load -",
  "load services.conf",
  "--basedir /srv load services.conf",
  "load services.conf --basedir=/srv",
  "-y stop all",
  "tail",
  "tail web1 -n 5",
  "tail -f web1",
  "tail web1 -n 0 -f",
  "tail --follow --lines 3 @web",
  "status -l",
  "save",
  "save services.conf",
  "status -l @web db",
  "--json status --long web1",
  "events",
  "events -f",
  "events -f --json web1 @db",
  "events web1 -n 20",
  "proxystatus",
  "proxyup p1",
  "proxydown p1",
  "reload web1",
  "reload @web",
  "rolls",
  "roll-cancel 3",
];

const OTHERS = [
  "",
  "--help",
  "-h",
  "help",
  "help status",
  "--version",
  "frobnicate",
  "stauts",
  "start",
  "pid",
  "pid a b",
  "list extra",
  "version now",
  "load",
  "load a b",
  "--address",
  "status --address",
  "--bogus status",
  "status -x",
  "tail -n",
  "tail -n x",
  "tail -n -3",
  "tail -n5",
  "tail -fn 5",
  "status -- web1",
  "-yq status",
  "status -n 3",
  "--json",
  "--timeout x status",
  "--timeout -1 status",
  "--timeout status",
  "restart --rolling @web",
  "restart @web --rolling --batch 2 --pause 1.5 --timeout 30",
  "restart --rolling --batch 0 @web",
  "restart --rolling --pause x @web",
  "reload --timeout 5 web1",
  "reload --batch 2 web1",
  "roll-cancel",
];

test("everyday command lines take the lean path and agree with commander", () => {
  for (const line of EVERYDAY) {
    const argv = line.split(" ").filter(Boolean);
    const fast = parseFast(argv);
    expect({ line, fast: fast !== null }).toEqual({ line, fast: true });
    expect({ line, inv: fast }).toEqual({ line, inv: viaCommander(argv) as never });
  }
});

test("anything else is declined or agrees with commander", () => {
  for (const line of OTHERS) {
    const argv = line.split(" ").filter(Boolean);
    const fast = parseFast(argv);
    if (fast !== null) expect({ line, inv: fast }).toEqual({ line, inv: viaCommander(argv) as never });
  }
});

test("restart --rolling and reload options reach the invocation; bad values are usage errors", () => {
  expect(viaCommander("restart @web --rolling --batch 2 --pause 1.5 --timeout 30".split(" "))).toMatchObject({ command: "restart", args: ["@web"], rolling: true, batch: 2, pause: 1.5, timeout: 30 });
  expect(viaCommander("reload --timeout 5 web1".split(" "))).toMatchObject({ command: "reload", args: ["web1"], timeout: 5 });
  for (const bad of ["restart --rolling --batch 0 @web", "restart --rolling --pause x @web", "reload --batch 2 web1", "reload"]) expect(viaCommander(bad.split(" "))).toBe("usage error (exit 2)");
});

test("commander answers help and version with 0, mistakes with a usage error", () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
  expect(parseWithCommander(["--help"], io)).toBe(0);
  expect(out.join("\n")).toContain("kill -9 $(cfkctl pid svc1)");
  expect(parseWithCommander(["--man"], io)).toBe(0);
  expect(out.join("\n")).toContain("EXIT CODES");
  for (const bad of [["frobnicate"], ["start"], ["pid"], ["tail", "-n", "x"], ["--bogus", "status"], []]) {
    err.length = 0;
    let code = -1;
    try {
      parseWithCommander(bad, io);
    } catch (e) {
      code = (e as CliError).exitCode;
    }
    expect({ bad, code }).toEqual({ bad, code: 2 });
    expect(err.join("\n").length).toBeGreaterThan(0);
  }
});
