/**
 * --log-stdout: every service line on cfkd's stdout as `name | line`
 * (`name:err | line` for stderr), whole, in order, none lost.
 */
import { expect, test } from "bun:test";
import { waitFor } from "../harness.ts";
import { Cfkd } from "./helpers.ts";

const N = 25_000;

test("100,000 lines from 4 services arrive on stdout, each intact and prefixed, none lost", async () => {
  const conf = ["s1", "s2", "s3", "s4"]
    .map((s) => `service ${s} cmd=seq -f '${s}-line-%g-abcdefghijklmnopqrstuvwxyz' 1 ${N}; echo ${s}-oops >&2; exec sleep 1000\n`)
    .join("");
  await using d = await Cfkd.start(conf + "command start all\n", { args: ["--log-stdout"] });
  // stdout and stderr are two pipes: the stderr line may come first; wait for the last stdout line too
  const last = (s: string) => `${s} | ${s}-line-${N}-abcdefghijklmnopqrstuvwxyz\n`;
  await waitFor(() => ["s1", "s2", "s3", "s4"].every((s) => d.stdout.includes(`${s}:err | ${s}-oops\n`) && d.stdout.includes(last(s))) || null, "every service's last lines", 20000, 50);
  const lines = d.stdout.split("\n");
  for (const s of ["s1", "s2", "s3", "s4"]) {
    const mine = lines.filter((l) => l.startsWith(`${s} | `));
    expect(mine.length).toBe(N);
    // in order, each whole
    let bad = 0;
    for (let i = 0; i < N; i++) if (mine[i] !== `${s} | ${s}-line-${i + 1}-abcdefghijklmnopqrstuvwxyz`) bad++;
    expect(bad).toBe(0);
  }
  // nothing else but whole records: service lines and cfkd's own events
  expect(lines.filter((l) => l !== "" && !/^(s[1-4](:err)? \| |cfkd \| )/.test(l))).toEqual([]);
});

test("as PID 1 without -l, service output goes to stdout by default", async () => {
  await using d = await Cfkd.start("service hello cmd=echo hi there; exec sleep 1000\ncommand start all\n", { args: ["--init"] });
  await waitFor(() => d.stdout.includes("hello | hi there\n") || null, "the line on stdout");
  expect(d.stdout).toContain("cfkd | info: PID-1 mode");
});
