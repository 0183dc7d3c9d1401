/**
 * The compiled executable as it ships (issue 7): one file under two names,
 * needing nothing else. build/smoke.sh — the CI smoke test — runs it from
 * an empty directory with PATH=/usr/bin:/bin and, where we may (root, a
 * private mount namespace), Node and Bun hidden from that PATH. Started
 * under another name it says what to do; `cfkd -d` started through a
 * symlink whose target has the other name still re-launches cfkd.
 */
import { afterEach, expect, test } from "bun:test";
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { alive, ROOT, tempDir } from "../harness.ts";
import { binaries } from "./binaries.ts";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});

/** The runtimes a test must not find: where they are on PATH=/usr/bin:/bin. */
const runtimes = ["node", "nodejs", "bun"].flatMap((n) => ["/usr/bin", "/bin"].map((d) => join(d, n))).filter((p) => existsSync(p));
const canHide = process.getuid?.() === 0 && Bun.spawnSync(["unshare", "-m", "true"], { stderr: "ignore" }).exitCode === 0;

/** A directory holding only cfkd and cfkctl (a copy, and a hard link to it). */
async function installed(dir: string): Promise<string> {
  const b = await binaries();
  const bin = join(dir, "bin");
  mkdirSync(bin);
  copyFileSync(b.cfkd, join(bin, "cfkd"));
  linkSync(join(bin, "cfkd"), join(bin, "cfkctl"));
  return bin;
}

test("smoke test: from an empty directory, PATH=/usr/bin:/bin, no Node or Bun, cfkd -d, a service started and stopped, shutdown", async () => {
  using t = tempDir();
  const bin = await installed(t.path);
  const hide = canHide ? runtimes.map((p) => `mount --bind /dev/null ${p} && `).join("") : "";
  const script = `${hide}for r in node nodejs bun; do command -v $r && echo "found $r"; done; exec sh ${join(ROOT, "build/smoke.sh")} ${bin}`;
  const argv = canHide ? ["unshare", "-m", "sh", "-c", script] : ["sh", "-c", script];
  const p = Bun.spawnSync(argv, { env: { PATH: "/usr/bin:/bin" }, cwd: t.path });
  const out = p.stdout.toString();
  if (p.exitCode !== 0) console.error(out, p.stderr.toString());
  expect(out).toContain("smoke: version 0.0.0-test");
  expect(out).toEndWith("smoke: ok\n");
  expect(p.exitCode).toBe(0);
  if (canHide) expect(out).not.toContain("found ");
  else console.warn(`standalone: cannot hide ${runtimes.join(", ")} here (needs root and unshare); ran with PATH=/usr/bin:/bin only`);
}, 30_000);

test("under another name: a renamed copy still works; an unknown name exits 2 with a hint", async () => {
  using t = tempDir();
  const b = await binaries();
  linkSync(b.cfkd, join(t.path, "cfkctl-0.0.0"));
  linkSync(b.cfkd, join(t.path, "cfk"));
  const v = Bun.spawnSync([join(t.path, "cfkctl-0.0.0"), "--version"]);
  expect(v.stdout.toString()).toBe("0.0.0-test\n");
  const bad = Bun.spawnSync([join(t.path, "cfk"), "status"]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stdout.toString()).toBe("");
  expect(bad.stderr.toString()).toContain("start it as cfkd or cfkctl");
});

test("cfkd -d through a symlink to the file named cfkctl re-launches cfkd, not cfkctl", async () => {
  using t = tempDir();
  const b = await binaries();
  const cfkd = join(t.path, "cfkd");
  symlinkSync(b.cfkctl, cfkd); // process.execPath is .../cfkctl
  const home = join(t.path, "home");
  const r = Bun.spawnSync([cfkd, "-d", "--home", home], { stderr: "pipe" });
  if (existsSync(join(home, "lock"))) started.push(Number(readFileSync(join(home, "lock"), "utf8")));
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  const down = Bun.spawnSync([b.cfkctl, "--address", join(home, "sock"), "shutdown"]);
  expect(down.exitCode).toBe(0);
  expect(existsSync(join(home, "lock"))).toBe(false);
});
