/**
 * The compiled executable drives a proxy as the sources do: the socket-pair
 * pipes, the Python proxy, a worker, its output in the log, proxystatus.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { APP_DIR, PYTHON_PROXY } from "./helpers.ts";
import { sh } from "../e2e/binaries.ts";
import { tempDir } from "../harness.ts";

test("cfkd as shipped runs the Python proxy and a worker through it", async () => {
  using t = tempDir();
  const home = join(t.path, "home");
  const conf = join(t.path, "proxy.conf");
  await Bun.write(
    conf,
    [
      `proxy py cmd=["python3","${PYTHON_PROXY}","--path","${APP_DIR}","--preload","app"]`,
      "proxy py service w1 cmd=app:serve",
      "service w1 startwait_secs=0.2",
      "",
    ].join("\n"),
  );
  const script = `
    set -e
    cfkd -d --home ${home} -c ${conf}
    trap 'cfkctl --address ${home}/sock shutdown >/dev/null 2>&1 || true' EXIT
    cfkctl --address ${home}/sock start w1
    for i in $(seq 1 100); do
      cfkctl --address ${home}/sock status w1 | grep -q '^running' && break
      sleep 0.05
    done
    cfkctl --address ${home}/sock proxystatus
    for i in $(seq 1 100); do grep -q 'service.w1.out - serving in' ${home}/cfkd.log && break; sleep 0.05; done
    grep -o 'service.w1.out - serving in [0-9]*, imported in [0-9]*' ${home}/cfkd.log
  `;
  const r = await sh(script, {});
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  const [status, served] = r.out.trim().split("\n");
  const m = /^up\s+py\s+(\d+)$/.exec(status!);
  expect(m).not.toBeNull();
  expect(served).toMatch(new RegExp(`^service\\.w1\\.out - serving in \\d+, imported in ${m![1]}$`));
}, 60000);
