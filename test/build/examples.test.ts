/**
 * The example config and systemd unit shipped in the release archives:
 * the unit's command line, with the example config, starts a real cfkd
 * that knows every service the config declares.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, ROOT } from "../harness.ts";

const unit = readFileSync(join(ROOT, "examples/cfkd.service"), "utf8");
const setting = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!);

test("the systemd unit runs cfkd in the foreground, SIGTERM to cfkd alone", () => {
  const [exec] = setting("ExecStart");
  expect(exec).toStartWith("/usr/local/bin/cfkd ");
  expect(exec!.split(/\s+/)).not.toContain("-d");
  expect(setting("Type")).toEqual(["exec"]);
  expect(setting("KillMode")).toEqual(["mixed"]);
  expect(setting("ExecReload")).toEqual(["/bin/kill -USR1 $MAINPID"]);
});

test("the unit's command line with the example config starts cfkd with every declared service", async () => {
  // ExecStart's options, with this repository's config and a temporary home (DaemonProcess sets --home)
  const args = setting("ExecStart")[0]!.split(/\s+/).slice(1);
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--home") i++;
    else if (args[i] === "/etc/cfk/cfkd.conf") rest.push(join(ROOT, "examples/cfkd.conf"));
    else rest.push(args[i]!);
  }
  expect(rest).toEqual(["-c", join(ROOT, "examples/cfkd.conf")]);
  await using d = await DaemonProcess.start({ args: rest });
  const desc = await d.ok("command desc");
  const names = desc.map((l) => l.split("\t")[0]);
  expect(names).toEqual(["cleaner", "web", "worker1", "worker2"]);
  expect(desc.every((l) => l.split("\t")[1]!.includes("app"))).toBe(true);
  expect((await d.ok("command status tag workers")).map((l) => l.split("\t")[0])).toEqual(["worker1", "worker2"]);
});
