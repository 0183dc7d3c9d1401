/**
 * Issue 19, idle: cfkd runs itself again with Bun's idle GC timer off
 * (src/daemon/os/runtime.ts), keeps its pid, and its services do not
 * inherit the variable, unless the operator set it.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, environ, waitFor } from "../harness.ts";

async function servicePid(d: DaemonProcess, name: string): Promise<number> {
  await d.ok(`service ${name} cmd=sleep 100`);
  await d.ok(`command start service ${name}`);
  const pid = await waitFor(async () => Number((await d.status(name))[2]) || null, `${name} to run`);
  await waitFor(() => environ(pid).CONTROL_FREAK_SERVICE === name, `${name} to exec`);
  return pid;
}

test("cfkd runs with BUN_GC_TIMER_DISABLE=1; its services do not inherit it", async () => {
  await using d = await DaemonProcess.start();
  expect(environ(d.pid).BUN_GC_TIMER_DISABLE).toBe("1");
  const env = environ(await servicePid(d, "q"));
  expect(env.BUN_GC_TIMER_DISABLE).toBeUndefined();
  expect(Object.keys(env).filter((k) => k.startsWith("_CFKD"))).toEqual([]);
});

test("an operator's own BUN_GC_TIMER_DISABLE is left alone, for cfkd and its services", async () => {
  await using d = await DaemonProcess.start({ env: { BUN_GC_TIMER_DISABLE: "0" } });
  expect(environ(d.pid).BUN_GC_TIMER_DISABLE).toBe("0");
  expect(environ(await servicePid(d, "q")).BUN_GC_TIMER_DISABLE).toBe("0");
});
