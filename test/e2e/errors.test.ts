/**
 * Issue 2 acceptance 5: every error text of SPEC §3 and §3.5 for its case,
 * on one connection that stays usable after each.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, waitFor } from "../harness.ts";

test("every protocol error, one connection", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  await c.ok("service up1 cmd=sleep 100");
  await c.ok("service nocmd desc=nothing to run");
  await c.ok("command start service up1");
  const cases: [string, string][] = [
    ["", "command is void"],
    ["# just a comment", "command is void"],
    ["frobnicate all", "unknown command 'frobnicate'"],
    ["service", "empty service command"],
    ["service svc1", "malformed service command 'svc1'"],
    ["service svc1 cmd", "malformed service command 'svc1 cmd'"],
    ["socket", "empty socket command"],
    ["proxy", "empty proxy command"],
    ["service 9lives cmd=true", "service name is invalid"],
    ["service svc1 colour=blue", "invalid property 'colour'"],
    ["service svc1 respawn_on_fail=maybe", "invalid value"],
    ["service svc1 startwait_secs=-1", "invalid value"],
    ["service svc1 respawn_max_retries=0", "invalid value"],
    ['service svc1 cmd=["sleep", 10', "invalid value"],
    ['service svc1 cmd=["sleep", 10]', "invalid value"],
    ["command", "empty command"],
    ["command explode all", "unknown command 'explode'"],
    ["command start nothing", "unknown selector 'nothing'"],
    ["command start service", "service selector takes exactly 1 argument: name"],
    ["command start service a b", "service selector takes exactly 1 argument: name"],
    ["command start service ghost", "Couldn't find a valid service. bailing."],
    ["command start tag nosuchtag", "Couldn't find a valid service. bailing."],
    ["command status service ghost", "unknown service 'ghost'"],
    ["command start service up1", "Service 'up1' is already up"],
    ["command stop service nocmd", "Service 'nocmd' is already down"],
    ["command start service nocmd", "Service 'nocmd' has no known command"],
  ];
  for (const [line, error] of cases) {
    expect({ line, reply: await c.request(line) }).toEqual({ line, reply: { body: [], error } });
    expect(await c.ok("command version")).toHaveLength(1); // still usable
  }
  // an invalid property does not create the service
  expect(await c.ok("command list")).toEqual(["nocmd", "up1"]);
  // a partial refusal is a body line, the others are done
  await c.ok("service up2 cmd=sleep 100");
  expect(await c.request("command start all")).toEqual({ body: ["error: Service 'nocmd' has no known command", "error: Service 'up1' is already up", "done 1"] });
  await waitFor(async () => (await d.status("up2"))[2] !== "", "up2 pid");
  // exit closes the connection after the pending replies
  c.send("command version\nexit\ncommand version\n");
  expect((await c.next()).body).toHaveLength(1);
  await waitFor(() => c.closed, "connection closed by exit");
});

test("a request line over 64 KiB is refused and the connection closed; the daemon lives on", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  c.send("service big desc=" + "x".repeat(70 * 1024) + "\n");
  expect(await c.next()).toEqual({ body: [], error: "line too long" });
  await waitFor(() => c.closed, "connection closed");
  expect(await d.ok("command version")).toHaveLength(1);
});

test("many concurrent clients are answered in order", async () => {
  await using d = await DaemonProcess.start();
  const clients = await Promise.all(Array.from({ length: 50 }, () => d.client()));
  for (const [i, c] of clients.entries()) c.send(`service c${i} cmd=sleep 1\ncommand list\nbogus\ncommand version\n`);
  for (const c of clients) {
    expect((await c.next()).error).toBeUndefined();
    expect((await c.next()).error).toBeUndefined();
    expect((await c.next()).error).toBe("unknown command 'bogus'");
    expect((await c.next()).body).toHaveLength(1);
    await c[Symbol.asyncDispose]();
  }
  expect(await d.ok("command list")).toHaveLength(50);
});
