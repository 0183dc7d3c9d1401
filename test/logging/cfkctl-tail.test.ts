/**
 * Acceptance 5, end to end: the real cfkctl (from source) against the real
 * cfkd. `cfkctl tail svc -n 5` prints the last 5 lines; `cfkctl tail -f
 * @web` streams every web service's lines with its name and stops cleanly
 * on Ctrl-C.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, BUN, FIXTURES, ROOT, waitFor } from "../harness.ts";

const CFKCTL = join(ROOT, "src/cfkctl.ts");

test("cfkctl tail -n 5, and tail -f @web until Ctrl-C", async () => {
  await using d = await DaemonProcess.start();
  for (const name of ["web1", "web2"]) {
    await d.ok(`service ${name} cmd=["${BUN}","${join(FIXTURES, "ticker.ts")}"]`);
    await d.ok(`service ${name} tags=web`);
  }
  await d.ok("command start tag web");
  await waitFor(async () => (await d.ok("command tail service web1 -n 6")).length === 6, "six ticks of web1");

  const once = Bun.spawnSync([BUN, CFKCTL, "--address", d.sock, "tail", "web1", "-n", "5"], { stdout: "pipe", stderr: "pipe" });
  expect(once.exitCode).toBe(0);
  const lines = once.stdout.toString().trimEnd().split("\n");
  expect(lines).toHaveLength(5);
  const n = lines.map((l) => Number(/^web1: tick (\d+)$/.exec(l)![1]));
  expect(n).toEqual(n.map((_, i) => n[0]! + i));

  const follow = Bun.spawn([BUN, CFKCTL, "--address", d.sock, "tail", "-f", "@web"], { stdout: "pipe", stderr: "pipe" });
  let out = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const c of follow.stdout as ReadableStream<Uint8Array>) out += dec.decode(c, { stream: true });
  })();
  await waitFor(() => /^web1: tick \d+$/m.test(out) && /^web2: tick \d+$/m.test(out) && out.split("\n").length > 30, "lines of both web services", 10_000);
  follow.kill("SIGINT");
  expect(await follow.exited).toBe(0);
  expect(out.trimEnd().split("\n").every((l) => /^web[12]: tick \d+$/.test(l))).toBe(true);
  expect(await new Response(follow.stderr).text()).toBe("");
  // the daemon goes on, its followers gone
  expect(["starting", "running"]).toContain((await d.status("web1"))[1]);
});
