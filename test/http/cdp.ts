/**
 * A headless Chromium driven over the Chrome DevTools Protocol, with
 * nothing but Bun's WebSocket: launch, open a page, evaluate, screenshot.
 * Enough for the status page's test; no npm package.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../harness.ts";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };

export class Browser implements AsyncDisposable {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** JavaScript dialogs (alert, confirm…) the page opened */
  readonly dialogs: string[] = [];

  private constructor(
    private readonly proc: ReturnType<typeof Bun.spawn>,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(`${m.error.message}`));
        else p?.resolve(m.result);
      } else if (m.method === "Page.javascriptDialogOpening") {
        this.dialogs.push(m.params.message);
        void this.send("Page.handleJavaScriptDialog", { accept: true });
      }
    };
  }

  /** Start Chromium headless and attach to its first page. */
  static async launch(width = 1000, height = 600): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "cfk-chromium-"));
    const proc = Bun.spawn(
      [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--remote-debugging-port=0", `--user-data-dir=${profile}`, `--window-size=${width},${height}`, "about:blank"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    const dec = new TextDecoder();
    void (async () => {
      for await (const c of proc.stderr as ReadableStream<Uint8Array>) err += dec.decode(c);
    })();
    try {
      const port = await waitFor(() => /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err)?.[1], "Chromium's DevTools port", 20000, 50);
      const targets = await waitFor(async () => {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
        return list.find((t) => t.type === "page");
      }, "a page target");
      const ws = new WebSocket(targets.webSocketDebuggerUrl);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("cannot connect to Chromium's DevTools"));
      });
      const b = new Browser(proc, ws, profile);
      await b.send("Page.enable");
      await b.send("Runtime.enable");
      return b;
    } catch (e) {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(profile, { recursive: true, force: true });
      throw new Error(`${(e as Error).message}; chromium said: ${err.slice(-2000)}`);
    }
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Evaluate an expression in the page; its value (JSON-able). */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`page threw: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  async goto(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const r = await this.send("Page.captureScreenshot", { format: "png" });
    return Buffer.from(r.data, "base64");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.ws.close();
    this.proc.kill("SIGTERM"); // the browser takes its renderer and helper processes with it
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.proc.exited;
    clearTimeout(t);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
