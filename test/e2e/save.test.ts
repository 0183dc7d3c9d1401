/**
 * Issue 13, acceptance 3: `cfkctl save` → a fresh cfkd `-c` of that file →
 * the same declarations (`command desc`, and the dump itself, identical).
 */
import { expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, tempDir } from "../harness.ts";
import { cfkctl, fakeIo } from "../cli/fake-io.ts";

test("save, then cfkd -c of the file: desc and dump identical, through quoting, JSON commands, env, sockets and proxies", async () => {
  using t = tempDir();
  const conf = [
    "socket web host=127.0.0.1",
    "socket web service=0",
    "socket web listen_qsize=max",
    `socket usock host=unix/`,
    `socket usock service=${join(t.path, "u.sock")}`,
    "socket bare nonblocking=0",
    "proxy py cmd=python3 /opt/proxy.py --preload app",
    "proxy py noauto=1",
    "proxy py add_env=PYTHONPATH=/opt/app",
    "proxy py service w1 cmd=app.worker",
    "proxy py service w1 tags=workers",
    "service a cmd=sleep 100",
    "service a tags=x, y",
    'service a desc="  padded description  "',
    "service a add_env=FOO=bar baz",
    "service a add_env=EMPTYISH= ",
    `service b cmd=["/bin/sh","-c","echo 'hi' \\"there\\"; sleep 5"]`,
    "service b startwait_secs=0.5",
    "service b stopwait_secs=7",
    "service b respawn_on_fail=no",
    "service b respawn_on_stop=yes",
    "service b respawn_max_retries=3",
    "service b stop_signal=INT",
    "service b umask=027",
    "service b priority=5",
    "service b cwd=/tmp",
    "service b tie_stdin_to=web",
    "service b listen_fds=web,usock",
    "service b ignore_stdout=1",
    "service b no_new_session=on",
    `service c cmd='quoted' and "more" stuff`,
    "service c stop_signal=30",
    'service d cmd=echo "x" y',
    "service e desc=nothing to run",
    "service f env={\"A\":\"1\",\"B\":\"two words\"}",
    "service g cmd=sleep 100",
    "service g ready=log:listening on \\d+ ",
    "service g ready_timeout_secs=2.5",
    "service g health=exec:pg_isready -h 127.0.0.1",
    "service g health_failures=5",
    "service h cmd=sleep 100",
    "service h ready=http://127.0.0.1:8080/up",
    "service h ready_interval_secs=0.2",
    "service h health=tcp:[::1]:9",
    "service h health_interval_secs=3",
    "service h after=g, @x",
    "service h tags=x",
    "service i cmd=sleep 100",
    "service i ready=fd:5",
    "service i listen_fds=web",
    "",
  ].join("\n");
  await using one = await DaemonProcess.start();
  const ctl = (d: DaemonProcess, argv: string[], stdin?: string) => cfkctl(["--address", `unix:${d.sock}`, ...argv], fakeIo({ stdin, cwd: t.path }));
  expect(await ctl(one, ["load", "-"], conf)).toMatchObject({ code: 0, err: [] });
  const saved = join(t.path, "saved.conf");
  expect(await ctl(one, ["save", "saved.conf"])).toMatchObject({ code: 0, err: [] });
  expect(statSync(saved).mode & 0o777).toBe(0o600);
  // to stdout as well, and the console's dump is the same text
  const out = await ctl(one, ["save"]);
  expect(out.out).toEqual(await one.ok("command dump"));
  expect(readFileSync(saved, "utf8")).toContain(out.out.join("\n"));

  await using two = await DaemonProcess.start({ args: ["-c", saved] });
  expect(await two.ok("command desc")).toEqual(await one.ok("command desc"));
  expect(await two.ok("command dump")).toEqual(await one.ok("command dump"));
  expect(await two.ok("command list")).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i", "w1"]);
  // readiness properties (docs/readiness.md) in their declaration syntax
  expect(out.out).toContain("service g ready=log:listening on \\d+");
  expect(out.out).toContain("service h ready=http://127.0.0.1:8080/up");
  expect(out.out).toContain("service h health=tcp:[::1]:9");
  expect(out.out).toContain("service h after=g,@x");
  // a config that uses no new property saves as one (add_env, not env)
  expect(out.out).toContain("service a add_env=FOO=bar baz");
  expect(out.out).toContain("service f add_env=B=two words");
  expect(out.out).toContain("service a desc='  padded description  '");
});
