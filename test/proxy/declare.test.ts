/** `proxy NAME PROP=VALUE` and `proxy NAME service SVC PROP=VALUE` (SPEC §3.1, §3.4). */
import { expect, test } from "bun:test";
import { DaemonProcess, daemonPerFile } from "../harness.ts";
import { proxyStatus } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

const err = (error: string) => ({ body: [], error });

test("bad declarations are refused and create nothing", async () => {
  expect(await d.request("proxy")).toEqual(err("empty proxy command"));
  expect(await d.request("proxy p")).toEqual(err("malformed proxy command 'p'"));
  expect(await d.request("proxy 9p cmd=x")).toEqual(err("proxy name is invalid"));
  expect(await d.request("proxy p bogus=1")).toEqual(err("invalid property 'bogus'"));
  expect(await d.request("proxy p noauto=maybe")).toEqual(err("invalid value"));
  expect(await d.request("proxy p cmd=[not json")).toEqual(err("invalid value"));
  expect(await d.request("proxy p service s1 bogus=1")).toEqual(err("invalid property 'bogus'"));
  expect(await d.request("proxy p service s1")).toEqual(err("malformed service command 's1'"));
  expect(await d.ok("command proxystatus")).toEqual([]);
  expect(await d.ok("command list")).toEqual([]);
});

test("declaring a service under a proxy creates both; status and desc name the proxy", async () => {
  await d.ok("proxy p1 service s1 cmd=sleep 100");
  await d.ok("proxy p1 service s1 tags=web");
  expect((await proxyStatus(d)).p1).toEqual(["down", ""]);
  expect(await d.ok("command desc service s1")).toEqual(["s1\tweb\t\tp1!\tsleep 100"]);
  expect((await d.status("s1")).slice(0, 2).concat((await d.status("s1"))[5]!)).toEqual(["s1", "stopped", "p1!"]);
  expect(await d.ok("command pids service s1")).toEqual(["s1: "]);
  // a plain service line keeps the attachment
  await d.ok("service s1 desc=a web worker");
  expect((await d.ok("command desc service s1"))[0]).toBe("s1\tweb\ta web worker\tp1!\tsleep 100");
});

test("a service moves to the proxy it was last declared under; destroy forgets it, not the proxy", async () => {
  await d.ok("proxy p2 service s2 cmd=sleep 100");
  await d.ok("proxy p3 service s2 cmd=sleep 100");
  expect((await d.ok("command desc service s2"))[0]!.split("\t")[3]).toBe("p3!");
  await d.request("command destroy service s2");
  expect(await d.ok("command list")).not.toContain("s2");
  expect(Object.keys(await proxyStatus(d))).toEqual(expect.arrayContaining(["p2", "p3"]));
});

test("proxy properties: desc and an unset cmd", async () => {
  await d.ok('proxy p4 cmd=["python3","-c","pass"]');
  await d.ok('proxy p4 desc="the\tfour"');
  await d.ok("proxy p4 cmd=");
  expect(await d.request("command proxyup p4")).toEqual(err("Proxy 'p4' can't run: no command"));
});
