/**
 * ready=notify in the compiled executable: its watcher thread is a worker
 * built from source text at run time (os/libc.ts), which must work inside
 * `bun build --compile` as well as from source.
 */
import { expect, test } from "bun:test";
import { sh } from "../e2e/binaries.ts";
import { tempDir } from "../harness.ts";

test("the compiled cfkd: systemd-notify --ready makes a notify service running; start --wait returns", async () => {
  using home = tempDir();
  const r = await sh(
    `set -e
cfkd --home "$H" -d
cfkctl --address "$H/sock" load - <<'END'
service n cmd=sh -c 'sleep 0.2; systemd-notify --ready --status=compiled; exec sleep 100'
service n ready=notify
END
cfkctl --address "$H/sock" start --wait --timeout 10 n
cfkctl --address "$H/sock" status --json n
cfkctl --address "$H/sock" shutdown`,
    { H: home.path },
  );
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject([{ name: "n", state: "running", ready: true, status_text: "compiled" }]);
});
