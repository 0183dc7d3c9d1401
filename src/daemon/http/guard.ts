/**
 * Who may ask the HTTP face anything: the Host check against DNS
 * rebinding, the Origin check on anything but GET/HEAD, and the token.
 * Pure: each check takes the request's headers and answers a status code to
 * refuse with, or null to go on.
 *
 * Rules (docs/http.md):
 * - unix socket: any Host (no browser reaches it), no token (the socket
 *   file's mode is its protection, as for the console);
 * - loopback TCP: Host must name a loopback address (localhost, 127.x,
 *   [::1]) with the listening port, else 421 — a page on another origin that
 *   rebinds its name to 127.0.0.1 sends its own name as Host;
 * - non-loopback TCP: a token is required (cfkd refuses to start without
 *   one), so any Host is accepted: a rebinding page cannot know the token;
 * - with a token (any TCP address): `Authorization: Bearer TOKEN`, or HTTP
 *   Basic with the token as password (so a browser can open the page),
 *   compared in constant time; else 401 with no detail. `--http-open-probes`
 *   leaves /live and /ready open.
 */
import type { Address } from "../../protocol/address.ts";
import { isLoopback } from "../../protocol/address.ts";
import { tokenMatches } from "../auth.ts";

export type GuardOptions = { address: Address; token?: string; openProbes: boolean };

const PROBES = new Set(["/live", "/ready"]);

export class Guard {
  private readonly loopback: boolean;
  private readonly token: string | undefined;

  constructor(
    private readonly o: GuardOptions,
    private readonly port: () => number,
  ) {
    this.loopback = o.address.kind === "tcp" && isLoopback(o.address);
    this.token = o.address.kind === "tcp" ? o.token : undefined;
  }

  /** 421 for a foreign Host, 403 for a foreign Origin on a non-GET, 401 for a missing or wrong token. */
  check(method: string, path: string, headers: Headers): number | null {
    const host = headers.get("host");
    if (this.loopback && !(host !== null && this.isOwnHost(host))) return 421;
    if (method !== "GET" && method !== "HEAD") {
      const origin = headers.get("origin");
      if (origin !== null && !(host !== null && (origin === `http://${host}` || origin === `https://${host}`))) return 403;
    }
    if (this.token !== undefined && !(this.o.openProbes && PROBES.has(path)) && !this.authorized(headers.get("authorization"))) return 401;
    return null;
  }

  /** Is `host` (the Host header) a loopback name with our port? */
  private isOwnHost(host: string): boolean {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(host);
    if (!m) return false;
    const port = m[2] === undefined ? 80 : Number(m[2]);
    if (port !== this.port()) return false;
    const name = m[1]!.toLowerCase();
    return name === "localhost" || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
  }

  private authorized(header: string | null): boolean {
    if (header === null) return false;
    const sp = header.indexOf(" ");
    const scheme = header.slice(0, sp).toLowerCase();
    const cred = header.slice(sp + 1).trim();
    let given: string;
    if (scheme === "bearer") given = cred;
    else if (scheme === "basic") {
      const plain = Buffer.from(cred, "base64").toString("utf8");
      given = plain.slice(plain.indexOf(":") + 1);
    } else return false;
    return tokenMatches(this.token!, given);
  }
}
