/**
 * The management protocol's request parser (SPEC §3): one line in, one
 * request value out. Pure and total: it never throws, whatever the input.
 */
import { msg } from "./messages.ts";
import { cleanValue, isValidName } from "./values.ts";

export type DeclTarget = "service" | "socket" | "proxy";

export type Request =
  /** close the connection after flushing */
  | { kind: "exit" }
  /** `service|socket|proxy NAME PROP=VALUE`; value null means "unset" */
  | { kind: "declare"; target: DeclTarget; name: string; prop: string; value: string | null }
  /** `proxy NAME service SVC PROP=VALUE` */
  | { kind: "proxyService"; proxy: string; service: string; prop: string; value: string | null }
  /** `command NAME ARGS...` */
  | { kind: "command"; name: string; args: string[] }
  /** `auth TOKEN` (TCP consoles with a token) */
  | { kind: "auth"; token: string }
  /** anything that cannot be understood: answered with `ERROR: message` */
  | { kind: "invalid"; message: string };

const ASSIGN = /^([A-Za-z0-9_-]+)\s+([A-Za-z0-9_-]+)\s*=(.*)$/s;

/** Strip the comment and surrounding whitespace (SPEC §3 step 1). */
export function cleanLine(line: string): string {
  const hash = line.indexOf("#");
  return (hash >= 0 ? line.slice(0, hash) : line).trim();
}

/** Parse one request line (without its line terminator). */
export function parseRequest(line: string): Request {
  const text = cleanLine(line);
  if (text === "") return invalid(msg.voidCommand());
  if (text.toLowerCase() === "exit") return { kind: "exit" };
  const sp = text.search(/\s/);
  const word = sp < 0 ? text : text.slice(0, sp);
  const rest = sp < 0 ? "" : text.slice(sp).trim();
  switch (word) {
    case "service":
    case "socket":
      return parseDeclaration(word, rest);
    case "proxy":
      return parseProxy(rest);
    case "command":
      return parseCommand(rest);
    case "auth":
      return { kind: "auth", token: rest };
    default:
      return invalid(msg.unknownCommand(word));
  }
}

function parseDeclaration(target: DeclTarget, rest: string): Request {
  if (rest === "") return invalid(msg.emptyDeclaration(target));
  const m = ASSIGN.exec(rest);
  if (!m) return invalid(msg.malformedDeclaration(target, rest));
  const [, name, prop, raw] = m as unknown as [string, string, string, string];
  if (!isValidName(name)) return invalid(msg.invalidName(target));
  return { kind: "declare", target, name, prop, value: cleanValue(raw) };
}

function parseProxy(rest: string): Request {
  if (rest === "") return invalid(msg.emptyDeclaration("proxy"));
  const sub = /^([A-Za-z0-9_-]+)\s+service\s+(.+)$/s.exec(rest);
  if (sub && !/^service\s*=/.test(rest.slice(sub[1]!.length).trim())) {
    const proxy = sub[1]!;
    if (!isValidName(proxy)) return invalid(msg.invalidName("proxy"));
    const svc = parseDeclaration("service", sub[2]!);
    if (svc.kind !== "declare") return svc;
    return { kind: "proxyService", proxy, service: svc.name, prop: svc.prop, value: svc.value };
  }
  return parseDeclaration("proxy", rest);
}

function parseCommand(rest: string): Request {
  if (rest === "") return invalid(msg.emptyCommand());
  const [name, ...args] = rest.split(/\s+/);
  return { kind: "command", name: name!, args };
}

function invalid(message: string): Request {
  return { kind: "invalid", message };
}
