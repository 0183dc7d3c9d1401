/**
 * Issue 2 acceptance 6: what a child sees — CONTROL_FREAK_* variables,
 * add_env/env, cwd, only fds 0-2, no ignored or blocked signal.
 */
import { expect, test } from "bun:test";
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, environ, procStat, tempDir, waitExec, waitFor } from "../harness.ts";

test("environment, cwd, descriptors and signals of a child", async () => {
  await using d = await DaemonProcess.start();
  using dir = tempDir();
  // some other connections held open, so their fds exist in the daemon
  await using other = await d.client();
  await other.ok("service noise cmd=sleep 100");
  await other.ok("command start service noise");
  const clients = await Promise.all(Array.from({ length: 20 }, () => d.client()));
  // and a bound shared socket that e1 is not tied to
  await other.ok("socket shared host=127.0.0.1");
  await other.ok("socket shared service=0");
  await other.ok("command bind shared");
  await d.ok("service e1 cmd=sleep 100");
  await d.ok("service e1 add_env=GREETING=hello world");
  await d.ok("service e1 add_env=EMPTY=");
  await d.ok(`service e1 cwd=${dir.path}`);
  await d.ok("command start service e1");
  const pid = Number(await waitFor(async () => (await d.status("e1"))[2], "e1 pid"));
  await waitExec(pid, "sleep");
  const env = environ(pid);
  expect(env.CONTROL_FREAK_ENABLED).toBe("1");
  expect(env.CONTROL_FREAK_SERVICE).toBe("e1");
  expect(env.GREETING).toBe("hello world");
  expect(env.EMPTY).toBe("");
  expect(env.CFKD_HOME).toBe(d.home);
  expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(dir.path);
  expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);
  for (const c of clients) await c[Symbol.asyncDispose]();
  expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe("/dev/null");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  expect(status).toMatch(/^SigIgn:\s+0+$/m);
  expect(status).toMatch(/^SigBlk:\s+0+$/m);
  // own session and process group
  const st = procStat(pid)!;
  expect([st.pgrp, st.sid]).toEqual([pid, pid]);
});

test("env replaces the additions; an empty env clears them", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service e2 cmd=sleep 100");
  await d.ok("service e2 add_env=OLD=1");
  await d.ok('service e2 env={"A":"1","B":2}');
  await d.ok("command start service e2");
  let pid = Number(await waitFor(async () => (await d.status("e2"))[2], "e2 pid"));
  await waitExec(pid, "sleep");
  expect(environ(pid)).toMatchObject({ A: "1", B: "2" });
  expect(environ(pid).OLD).toBeUndefined();
  await d.ok("service e2 env=");
  await d.ok("command restart service e2");
  pid = Number(await waitFor(async () => {
    const p = (await d.status("e2"))[2];
    return p && Number(p) !== pid ? p : null;
  }, "e2 new pid"));
  await waitExec(pid, "sleep");
  expect(environ(pid).A).toBeUndefined();
  expect((await d.request("service e2 env=[1]")).error).toBe("invalid value");
});

test("no_new_session keeps the daemon's group; a missing program fails the start with the OS reason", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service n1 cmd=sleep 100");
  await d.ok("service n1 no_new_session=1");
  await d.ok("command start service n1");
  const pid = Number(await waitFor(async () => (await d.status("n1"))[2], "n1 pid"));
  expect(procStat(pid)!.pgrp).toBe(procStat(d.pid)!.pgrp);
  await d.ok("service m1 cmd=/nonexistent/program --flag");
  await d.ok("service m1 respawn_on_fail=0");
  await d.ok("command start service m1");
  const s = await waitFor(async () => {
    const s = await d.status("m1");
    return s[1] === "fail" ? s : null;
  }, "m1 fail");
  expect(s[6]).toMatch(/ENOENT|no such file/i);
  expect(await d.ok("command version")).toHaveLength(1);
});

test("env_file: read at each start, add_env wins over it, a missing file or a bad line fails the start with the reason", async () => {
  using dir = tempDir();
  const file = join(dir.path, "app.env");
  writeFileSync(file, '# settings\n\nexport DB_URL="postgres://db/app"\nMODE=one\nSHARED=from-file\n');
  await using d = await DaemonProcess.start();
  await d.ok("service ef cmd=sleep 100");
  await d.ok(`service ef env_file=${file}`);
  await d.ok("service ef add_env=SHARED=from-add_env");
  await d.ok("command start service ef");
  let pid = Number(await waitFor(async () => (await d.status("ef"))[2], "ef pid"));
  await waitExec(pid, "sleep");
  expect(environ(pid)).toMatchObject({ DB_URL: "postgres://db/app", MODE: "one", SHARED: "from-add_env" });
  writeFileSync(file, "MODE=two\n");
  await d.ok("command restart service ef");
  pid = Number(await waitFor(async () => {
    const p = (await d.status("ef"))[2];
    return p && Number(p) !== pid ? p : null;
  }, "new pid"));
  await waitExec(pid, "sleep");
  expect(environ(pid).MODE).toBe("two");
  expect(environ(pid).DB_URL).toBeUndefined();
  await d.ok("command stop service ef");
  await waitFor(async () => (await d.status("ef"))[1] === "stopped", "ef stopped");
  writeFileSync(file, "MODE=three\nthis is not a variable\n");
  await d.ok("service ef respawn_on_fail=0");
  await d.ok("command start service ef");
  expect((await d.status("ef"))[6]).toBe(`env_file ${file}: line 2: expected KEY=VALUE`);
  await d.ok(`service ef env_file=${join(dir.path, "missing.env")}`);
  await d.ok("command start service ef");
  expect((await d.status("ef"))[6]).toBe(`env_file ${join(dir.path, "missing.env")}: no such file`);
  expect((await d.request("service ef env_file=relative.env")).error).toBe("invalid value");
});
