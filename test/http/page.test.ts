/**
 * Issue 18 acceptance 3: the status page in a real browser (headless
 * Chromium over the DevTools protocol). It shows 3 services, follows a
 * killed one within 2 s without a reload, shows markup from a service's
 * output and tags as text, and leaves screenshots (desktop and phone
 * width) as artifacts under .tmp/artifacts/ (gitignored; paths printed).
 */
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, waitFor } from "../harness.ts";
import { Browser } from "./cdp.ts";
import { declare, httpDaemon, runningPid } from "./helpers.ts";

const XSS = "<img src=x onerror=alert(1)>";
const ARTIFACTS = join(ROOT, ".tmp/artifacts");

function keep(name: string, png: Buffer): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  writeFileSync(path, png);
  console.log(`screenshot: ${path}`);
}

test("the page lists 3 services, follows a kill within 2 s without reload, shows markup as text", async () => {
  await using h = await httpDaemon();
  await declare(h.d, {
    api: ["cmd=sleep 1000", "tags=web,<b>bold</b>", "startwait_secs=1"],
    printer: [`cmd=sh -c 'echo "${XSS}"; echo second line; exec sleep 1000'`, "tags=web"],
    worker: ["cmd=sleep 1000", "tags=jobs"],
  });
  await h.d.ok("command start all");
  for (const s of ["api", "printer", "worker"]) await runningPid(h.d, s);

  await using b = await Browser.launch();
  await b.goto(`${h.base}/`);
  const states = () => b.eval<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("#rows tr")].map((tr) => [tr.dataset.name, tr.dataset.state]))`);
  await waitFor(async () => Object.keys(await states()).length === 3, "the table to show 3 services", 10000, 50);
  expect(await states()).toEqual({ api: "running", printer: "running", worker: "running" });
  await b.eval(`window.notReloaded = true`);

  const pid = await runningPid(h.d, "api");
  const killedAt = Date.now();
  process.kill(pid, "SIGKILL");
  const seen = await waitFor(async () => {
    const s = (await states()).api;
    return s !== "running" && s;
  }, "the api row to change state", 2000, 20);
  const took = Date.now() - killedAt;
  console.log(`api row showed '${seen}' ${took} ms after the kill`);
  expect(took).toBeLessThan(2000);
  expect(await b.eval(`window.notReloaded === true`)).toBe(true);

  // the output panel shows what the service printed, as text
  await b.eval(`document.querySelector('tr[data-name="printer"]').click()`);
  const out = await waitFor(async () => {
    const t = await b.eval<string>(`document.getElementById("lines").textContent`);
    return t.includes("second line") && t;
  }, "the output panel to show printer's lines", 5000, 50);
  expect(out).toContain(XSS);
  expect(await b.eval(`document.querySelector('tr[data-name="api"] td[data-label="Tags"]').textContent`)).toBe("<b>bold</b>web");
  expect(await b.eval(`document.querySelectorAll("img, b").length`)).toBe(0);
  expect(b.dialogs).toEqual([]);

  await waitFor(async () => (await states()).api === "running", "api to run again", 8000, 50);
  keep("http-page.png", await b.screenshot());
  await b.send("Emulation.setDeviceMetricsOverride", { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });
  const phone = await b.eval<{ scroll: number; width: number }>(`({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })`);
  expect(phone.scroll).toBeLessThanOrEqual(phone.width); // no sideways scrolling on a phone
  keep("http-page-phone.png", await b.screenshot());
});
