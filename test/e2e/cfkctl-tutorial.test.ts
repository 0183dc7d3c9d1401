/**
 * The tutorial's sessions (../shared/seed/controlfreak-tutorial.txt), typed
 * into a shell as printed, with the compiled cfkd and cfkctl on PATH and
 * HOME in a temporary directory (so `cfkd -d` and `cfkctl` use their
 * defaults, ~/.controlfreak/sock).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { alive, tempDir, waitFor } from "../harness.ts";
import { binaries, sh } from "./binaries.ts";

const home = tempDir("cfk-tutorial-");
const env = { HOME: home.path, NO_COLOR: "" };
const $ = (script: string) => sh(script, env);
/** `cfkctl status` output, lines without trailing blanks */
const status = async (args = "") => (await $(`cfkctl status ${args}`)).out.split("\n").filter(Boolean).map((l) => l.trimEnd());
const DATE = String.raw`\(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\)`;

beforeAll(async () => {
  await binaries();
  // "run in the background"
  const r = await $("cfkd -d");
  expect(r).toMatchObject({ code: 0, err: "" });
}, 60_000);

afterAll(async () => {
  const lock = join(home.path, ".controlfreak", "lock");
  const pid = existsSync(lock) ? Number(readFileSync(lock, "utf8")) : 0;
  await $("cfkctl shutdown");
  if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL"); // never leave it behind
  home[Symbol.dispose]();
});

test("SIMPLE EXAMPLE: load -, status, start, stop", async () => {
  expect((await $("cfkctl status")).out).toBe(""); // nothing! no service declared yet
  const load = await $("cfkctl load - <<END\nservice svc1 cmd=sleep 100\nEND\n");
  expect(load).toMatchObject({ code: 0, out: "", err: "" });
  expect(await status()).toEqual(["stopped  svc1"]);
  expect((await $("cfkctl start svc1")).code).toBe(0);
  await waitFor(async () => (await status())[0]!.startsWith("running"), "svc1 running", 5000, 50);
  expect((await status())[0]).toMatch(new RegExp(`^running  svc1 +\\d+ seconds ago ${DATE}$`));
  expect((await $("cfkctl stop svc1")).code).toBe(0);
  await waitFor(async () => (await status())[0]!.startsWith("stopped"), "svc1 stopped", 5000, 50);
  expect((await status())[0]).toMatch(new RegExp(`^stopped  svc1 +\\d+ seconds ago ${DATE}$`));
});

test("When a service dies: kill -9 $(cfkctl pid svc1) and it runs again with a new pid", async () => {
  expect((await $("cfkctl up svc1 # make sure svc1 is up")).code).toBe(0);
  await waitFor(async () => (await status("svc1"))[0]!.startsWith("running"), "svc1 running", 5000, 50);
  const old = Number((await $("cfkctl pid svc1")).out.trim());
  expect(alive(old)).toBe(true);
  const kill = await $("kill -9 `cfkctl pid svc1`");
  expect(kill.code).toBe(0);
  await waitFor(() => !alive(old), "the old svc1 to die");
  const fresh = await waitFor(async () => {
    const p = Number((await $("cfkctl pid svc1")).out.trim());
    return p > 0 && p !== old ? p : 0;
  }, "a new pid for svc1", 5000, 50);
  expect(alive(fresh)).toBe(true);
  await waitFor(async () => (await status("svc1"))[0]!.startsWith("running"), "svc1 running again", 5000, 50);
  expect((await status("svc1"))[0]).toMatch(new RegExp(`^running  svc1 +\\d+ seconds ago ${DATE}$`));
});

test("TAGGING SERVICES: cfkctl start @web, cfkctl status @prod lists only web1", async () => {
  const conf = `
  service web1 cmd=sleep 100
  service web1 tags=web,prod

  service web2 cmd=sleep 100
  service web2 tags=web

  service web3 cmd=sleep 100
  service web3 tags=web,stage
`;
  expect((await $(`cfkctl load - <<END${conf}END\n`)).code).toBe(0);
  expect((await $("cfkctl start @web")).code).toBe(0);
  await waitFor(async () => (await status("@web")).every((l) => l.startsWith("running")), "web1-3 running", 5000, 50);
  const prod = await status("@prod");
  expect(prod).toHaveLength(1);
  expect(prod[0]).toMatch(new RegExp(`^running  web1 +\\d+ seconds ago ${DATE}$`));
  expect((await status("@web")).map((l) => l.split(/\s+/)[1])).toEqual(["web1", "web2", "web3"]);
});
