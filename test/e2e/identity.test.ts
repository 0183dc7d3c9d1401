/**
 * Issue 12, defect 3: `user=` applies the user's own supplementary groups
 * (initgroups), `group=` still sets the primary group, and HOME, USER and
 * LOGNAME are the user's unless env/add_env set them. Needs root: a real
 * user and group are created for the test and removed after it.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DaemonProcess, environ, waitExec, waitFor } from "../harness.ts";

const root = process.getuid?.() === 0;
const tag = `cfk${process.pid % 100000}`;
const sh = (...cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
};
const gidOf = (name: string) => Number(readFileSync("/etc/group", "utf8").split("\n").find((l) => l.startsWith(`${name}:`))!.split(":")[2]);
const status = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.trim();

test.skipIf(!root)("user= runs with the user's supplementary groups, HOME, USER and LOGNAME", async () => {
  const user = `${tag}u`;
  const extra = `${tag}g`;
  const prim = `${tag}p`;
  sh("groupadd", extra);
  sh("groupadd", prim);
  try {
    sh("useradd", "-M", "-d", `/nonexistent/${user}`, "-s", "/bin/false", "-g", prim, "-G", extra, user);
    try {
      await using d = await DaemonProcess.start();
      for (const s of ["a", "b", "c"]) {
        await d.ok(`service ${s} cmd=sleep 100`);
        await d.ok(`service ${s} user=${user}`);
      }
      await d.ok(`service b group=${extra}`);
      await d.ok(`service c add_env=HOME=/srv/c`);
      for (const s of ["a", "b", "c"]) await d.ok(`command start service ${s}`);
      const pid = async (s: string) => {
        const p = Number((await waitFor(async () => ((await d.status(s))[2] || null), `${s}'s pid`)));
        await waitExec(p, "sleep");
        return p;
      };
      const [a, b, c] = [await pid("a"), await pid("b"), await pid("c")];
      const groups = (p: number) => status(p, "Groups").split(/\s+/).filter(Boolean).map(Number).sort();
      expect(groups(a)).toEqual([gidOf(extra), gidOf(prim)].sort());
      expect(status(a, "Gid").split(/\s+/)[0]).toBe(String(gidOf(prim)));
      expect(status(b, "Gid").split(/\s+/)[0]).toBe(String(gidOf(extra))); // group= sets the primary group
      expect(groups(b)).toContain(gidOf(extra));
      expect(environ(a)).toMatchObject({ HOME: `/nonexistent/${user}`, USER: user, LOGNAME: user });
      expect(environ(c)).toMatchObject({ HOME: "/srv/c", USER: user });
      await d.ok("command stop all");
    } finally {
      sh("userdel", user);
    }
  } finally {
    sh("groupdel", extra);
    sh("groupdel", prim);
  }
});
