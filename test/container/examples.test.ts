/**
 * examples/Dockerfile and examples/k8s.yaml: the entrypoint's command line
 * with the example config runs as PID 1 of a PID namespace (what a
 * container is, without needing docker here), the readiness probe's
 * command answers against it, and the grace fits the orchestrator's.
 */
import { expect, test } from "bun:test";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ROOT, waitFor } from "../harness.ts";
import { canUnshare, Cfkd } from "./helpers.ts";

const dockerfile = readFileSync(join(ROOT, "examples/Dockerfile"), "utf8");
const k8s = readFileSync(join(ROOT, "examples/k8s.yaml"), "utf8");
const entrypoint: string[] = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!);
const opt = (argv: string[], name: string) => argv[argv.indexOf(name) + 1]!;

test("the Dockerfile's entrypoint is cfkd in exec form, and the k8s grace outlasts cfkd's", () => {
  expect(entrypoint[0]).toBe("/usr/local/bin/cfkd");
  expect(opt(entrypoint, "-c")).toBe("/etc/cfk/cfkd.conf");
  expect(dockerfile).toContain("COPY examples/container.conf /etc/cfk/cfkd.conf");
  expect(Number(opt(entrypoint, "--grace"))).toBeLessThan(10); // docker stop's default wait
  const period = Number(/terminationGracePeriodSeconds: (\d+)/.exec(k8s)![1]);
  const command = [...k8s.matchAll(/^\s+- (\S+)$/gm)].map((m) => m[1]!.replace(/"/g, ""));
  expect(Number(opt(command, "--grace")) + 3).toBeLessThanOrEqual(period);
});

test.skipIf(!canUnshare)("the image's command line runs the example services as PID 1; the probe answers; TERM ends it cleanly", async () => {
  const args = entrypoint.slice(1).filter((_, i, a) => a[i] !== "--home" && a[i - 1] !== "--home" && a[i] !== "-c" && a[i - 1] !== "-c");
  await using d = await Cfkd.start(readFileSync(join(ROOT, "examples/container.conf"), "utf8"), { pidNamespace: true, args });
  await waitFor(() => (d.stdout.includes("web | web: serving") && d.stdout.includes("worker | worker: tick")) || null, "both services' output on stdout");
  // the readiness probe, with a `cfkctl` on PATH and CFKD_ADDRESS as the image sets it
  const bin = join(d.tmp, "bin");
  await Bun.write(join(bin, "cfkctl"), `#!/bin/sh\nexec ${BUN} ${join(ROOT, "src/cfkctl.ts")} "$@"\n`);
  chmodSync(join(bin, "cfkctl"), 0o755);
  const probe = JSON.parse(/command: (\[.*\])\n\s+initialDelaySeconds/.exec(k8s)![1]!) as string[];
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CFKD_ADDRESS: `unix:${d.sock}` };
  await waitFor(() => Bun.spawnSync(probe, { env }).exitCode === 0 || null, "the readiness probe to pass", 5000);
  process.kill(d.cfkdPid, "SIGTERM");
  expect(await d.proc.exited).toBe(0);
});
