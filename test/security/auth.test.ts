/**
 * Issue 8 acceptance 4: the TCP console needs a token off loopback; with a
 * token nothing happens before `auth`; the read-only console refuses every
 * change.
 */
import { expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CFKD, Client, DaemonProcess, freePort, tempDir } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";

test("a non-loopback TCP console without a token is refused at start", () => {
  using dir = tempDir();
  const r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h"), "-a", "0.0.0.0:7001"], { stderr: "pipe" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("not loopback, without --auth-token-file");
});

test("a token file that others can read is refused", () => {
  using dir = tempDir();
  const tf = join(dir.path, "token");
  writeFileSync(tf, "s3cret\n");
  chmodSync(tf, 0o644);
  const r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h"), "-a", "0.0.0.0:7001", "--auth-token-file", tf], { stderr: "pipe" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("readable by others");
});

test("with a token, nothing is done before auth; a wrong token is refused", async () => {
  using dir = tempDir();
  const tf = join(dir.path, "token");
  writeFileSync(tf, "s3cret\n", { mode: 0o600 });
  const port = await freePort();
  await using d = await DaemonProcess.start({ args: ["-a", `0.0.0.0:${port}`, "--auth-token-file", tf], address: `127.0.0.1:${port}` });
  await using c = await d.client();
  expect(await c.request("service x cmd=rm -rf /")).toEqual({ body: [], error: "not authorized" });
  expect(await c.request("command list")).toEqual({ body: [], error: "not authorized" });
  expect(await c.request("auth wrong")).toEqual({ body: [], error: "not authorized" });
  expect(await c.request("command version")).toEqual({ body: [], error: "not authorized" });
  expect(await c.request("auth s3cret")).toEqual({ body: [] });
  expect(await c.request("command list")).toEqual({ body: [] }); // no service x was created
  expect(await c.request("service y cmd=true")).toEqual({ body: [] });
  expect(await c.ok("command list")).toEqual(["y"]);
  // auth is per connection
  await using c2 = await d.client();
  expect(await c2.request("command list")).toEqual({ body: [], error: "not authorized" });
  // cfkctl sends the token from --auth-token-file or CFKD_TOKEN_FILE
  const addr = ["--address", `127.0.0.1:${port}`];
  expect(await cfkctl([...addr, "--auth-token-file", tf, "list"], fakeIo())).toMatchObject({ code: 0, out: ["y"] });
  expect(await cfkctl([...addr, "list"], fakeIo({ env: { CFKD_TOKEN_FILE: tf } }))).toMatchObject({ code: 0, out: ["y"] });
  expect(await cfkctl([...addr, "list"], fakeIo())).toMatchObject({ code: 1, err: ["error: not authorized"] });
  const bad = join(dir.path, "bad");
  writeFileSync(bad, "nope\n", { mode: 0o600 });
  expect(await cfkctl([...addr, "--auth-token-file", bad, "list"], fakeIo())).toMatchObject({ code: 1, err: ["error: not authorized"] });
});

test("the read-only console answers queries and refuses every change", async () => {
  using dir = tempDir();
  const ro = join(dir.path, "ro.sock");
  await using d = await DaemonProcess.start({ args: ["--readonly-address", `unix:${ro}`] });
  await d.ok("service s1 cmd=sleep 100");
  await using c = await Client.connect(ro);
  for (const q of ["command status", "command desc", "command list", "command pids", "command version"]) {
    expect((await c.request(q)).error).toBeUndefined();
  }
  const refused = [
    "service s2 cmd=true",
    "service s1 cmd=rm -rf /",
    "socket web host=0.0.0.0",
    "proxy p cmd=x",
    "proxy p service s1 cmd=y",
    "command start service s1",
    "command stop all",
    "command restart all",
    "command up all",
    "command down all",
    "command destroy all",
    "command bind web",
    "command proxyup p",
    "command shutdown",
  ];
  for (const line of refused) expect({ line, r: await c.request(line) }).toEqual({ line, r: { body: [], error: "not authorized" } });
  expect(await d.ok("command list")).toEqual(["s1"]);
  expect((await d.status("s1"))[1]).toBe("stopped");
});
