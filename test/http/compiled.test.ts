/**
 * The HTTP face in the compiled executable as it ships: the page, the
 * metrics and the probes answer (nothing is read from the source tree at
 * run time).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { freePort, tempDir, waitFor } from "../harness.ts";
import { binaries } from "../e2e/binaries.ts";

test("compiled cfkd --http serves /, /metrics, /ready and /api/status", async () => {
  const b = await binaries();
  using t = tempDir();
  const port = await freePort();
  const p = Bun.spawn([b.cfkd, "--home", join(t.path, "home"), "--http", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/live`).catch(() => null))?.status === 200, "the compiled HTTP face", 10_000);
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'sha256-");
    expect(await page.text()).toContain('<table id="services">');
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('cfkd_build_info{version="0.0.0-test"} 1');
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ ready: true, services: [] });
    expect(await (await fetch(`${base}/api/status`)).json()).toEqual([]);
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}, 60_000);
