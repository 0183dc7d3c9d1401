/**
 * Issue 2 acceptance 1: the tutorial's console session ("How it works"),
 * replayed through the real daemon's socket, gets the same answers.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, waitFor } from "../harness.ts";

test("the tutorial's console session", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  expect(await c.request("command status")).toEqual({ body: [] });
  expect(await c.request("service svc2 cmd=sleep 10")).toEqual({ body: [] });
  expect(await c.request("service svc1 cmd=true")).toEqual({ body: [] });
  expect(await c.request("command start service svc2")).toEqual({ body: ["done 1"] });
  const before = Math.floor(Date.now() / 1000);
  const st = await c.request("command status");
  expect(st.error).toBeUndefined();
  expect(st.body.map((l) => l.split("\t")[0])).toEqual(["svc1", "svc2"]); // sorted by name
  const f = st.body[1]!.split("\t");
  expect(f).toHaveLength(8);
  expect(f[1]).toBe("starting");
  expect(Number(f[2])).toBeGreaterThan(1);
  expect(Math.abs(Number(f[3]) - before)).toBeLessThanOrEqual(1); // epoch seconds
  expect(f[7]).toBe("sleep 10");
  // starting becomes running after startwait_secs (1 s by default)
  await waitFor(async () => (await d.status("svc2"))[1] === "running", "svc2 running", 3000);
  // a service that exits 0 ends stopped
  expect(await c.ok("command start service svc1")).toEqual(["done 1"]);
  const s1 = await waitFor(async () => {
    const s = await d.status("svc1");
    return s[1] === "stopped" ? s : null;
  }, "svc1 stopped");
  expect(s1[2]).toBe(""); // no pid
  expect(Number(s1[4])).toBeGreaterThanOrEqual(before); // stop time
  // the raw framing: body lines end with \n, the terminal line with \r\n
  c.raw = "";
  await c.request("command version");
  expect(c.raw).toMatch(/^[^\r\n]+\nOK\r\n$/);
});
