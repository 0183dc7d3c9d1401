/**
 * The compiled executables, built once per test run from the current
 * sources (never a stale dist/) into a temporary directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../build/build.ts";

export type Binaries = { dir: string; cfkd: string; cfkctl: string };

let built: Promise<Binaries> | null = null;

export function binaries(): Promise<Binaries> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfk-bin-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const b = { dir, cfkd: join(dir, "cfkd"), cfkctl: join(dir, "cfkctl") };
    await Promise.all([compile("cfkd.ts", b.cfkd, "0.0.0-test"), compile("cfkctl.ts", b.cfkctl, "0.0.0-test")]);
    return b;
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
