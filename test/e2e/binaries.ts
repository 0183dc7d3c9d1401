/**
 * The compiled executables, built once per test run from the current
 * sources (never a stale dist/), as they ship: one executable, linked as
 * cfkd and cfkctl. They go to .tmp/e2e-bin/ (ignored by git), replaced by
 * rename, so each run overwrites the last one's instead of leaving 100 MB
 * in /tmp (bun test runs no exit hooks to clean up after itself), and a
 * concurrent run keeps the files it has started.
 */
import { join } from "node:path";
import { buildExecutables } from "../../build/build.ts";
import { ROOT } from "../harness.ts";

export type Binaries = { dir: string; cfkd: string; cfkctl: string };

let built: Promise<Binaries> | null = null;

export function binaries(): Promise<Binaries> {
  built ??= (async () => {
    const dir = join(ROOT, ".tmp", "e2e-bin");
    return { dir, ...(await buildExecutables(dir, "0.0.0-test")) };
  })();
  return built;
}

/** Run a shell snippet with the binaries first on PATH; stdout, stderr, exit code. */
export async function sh(script: string, env: Record<string, string>, cwd?: string): Promise<{ code: number; out: string; err: string }> {
  const b = await binaries();
  const p = Bun.spawn(["sh", "-c", script], {
    env: { ...process.env, ...env, PATH: `${b.dir}:${process.env.PATH}` },
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}
