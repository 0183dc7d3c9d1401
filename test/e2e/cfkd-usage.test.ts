/** cfkd's command line: usage errors exit 2 with `cfkd:` and a hint (as cfkctl); --man is a manual. */
import { expect, test } from "bun:test";
import { BUN, CFKD, tempDir } from "../harness.ts";
import { join } from "node:path";

test("usage errors: exit 2, 'cfkd: … (see cfkd --help)', nothing created; --man prints the manual", () => {
  using t = tempDir();
  const home = join(t.path, "home");
  const run = (...args: string[]) => Bun.spawnSync([BUN, CFKD, "--home", home, ...args], { stdout: "pipe", stderr: "pipe" });
  for (const args of [["--bogus"], ["-a", "no:such:address"], ["--max-connections", "x"], ["stray"]]) {
    const r = run(...args);
    expect({ args, code: r.exitCode }).toEqual({ args, code: 2 });
    expect(r.stderr.toString()).toMatch(/^cfkd: .* \(see cfkd --help\)\n$/);
  }
  const man = run("--man");
  expect(man.exitCode).toBe(0);
  expect(man.stdout.toString()).toContain("EXIT CODES");
  expect(man.stdout.toString()).toContain("2  usage error");
});
