import { describe, expect, test } from "bun:test";
import { parseRequest, cleanLine } from "../../src/protocol/request.ts";
import { cleanValue, parseBool } from "../../src/protocol/values.ts";

describe("parseRequest", () => {
  const cases: [string, unknown][] = [
    ["", { kind: "invalid", message: "command is void" }],
    ["   # only a comment", { kind: "invalid", message: "command is void" }],
    ["exit", { kind: "exit" }],
    ["  EXIT  ", { kind: "exit" }],
    ["bogus stuff", { kind: "invalid", message: "unknown command 'bogus'" }],
    ["service", { kind: "invalid", message: "empty service command" }],
    ["socket", { kind: "invalid", message: "empty socket command" }],
    ["proxy", { kind: "invalid", message: "empty proxy command" }],
    ["service svc1", { kind: "invalid", message: "malformed service command 'svc1'" }],
    ["service svc1 cmd", { kind: "invalid", message: "malformed service command 'svc1 cmd'" }],
    ["service sv.c cmd=x", { kind: "invalid", message: "malformed service command 'sv.c cmd=x'" }],
    ["service 1svc cmd=x", { kind: "invalid", message: "service name is invalid" }],
    ["service - cmd=x", { kind: "invalid", message: "service name is invalid" }],
    ["socket 9s host=x", { kind: "invalid", message: "socket name is invalid" }],
    ["service svc2 cmd=sleep 10", { kind: "declare", target: "service", name: "svc2", prop: "cmd", value: "sleep 10" }],
    ["service memcached-test cmd = memcached -p 1", { kind: "declare", target: "service", name: "memcached-test", prop: "cmd", value: "memcached -p 1" }],
    ['service s desc="a b" # comment', { kind: "declare", target: "service", name: "s", prop: "desc", value: "a b" }],
    ["service s cmd=", { kind: "declare", target: "service", name: "s", prop: "cmd", value: null }],
    ["service _s tags=a,b", { kind: "declare", target: "service", name: "_s", prop: "tags", value: "a,b" }],
    ["socket web host=0.0.0.0", { kind: "declare", target: "socket", name: "web", prop: "host", value: "0.0.0.0" }],
    ["proxy p cmd=/usr/bin/proxy", { kind: "declare", target: "proxy", name: "p", prop: "cmd", value: "/usr/bin/proxy" }],
    ["proxy p service s1 cmd=run x", { kind: "proxyService", proxy: "p", service: "s1", prop: "cmd", value: "run x" }],
    ["proxy p service s1", { kind: "invalid", message: "malformed service command 's1'" }],
    ["command", { kind: "invalid", message: "empty command" }],
    ["command start service svc2", { kind: "command", name: "start", args: ["service", "svc2"] }],
    ["command   status  ", { kind: "command", name: "status", args: [] }],
    ["auth s3cret", { kind: "auth", token: "s3cret" }],
  ];
  for (const [line, want] of cases) {
    test(JSON.stringify(line), () => expect(parseRequest(line)).toEqual(want as never));
  }

  test("never throws on garbage", () => {
    const junk = ["\0\0\0", "service \0 \0=\0", "=".repeat(10000), "service a b=" + "[".repeat(5000), "\uFFFD\uD800", "command " + " x".repeat(1000)];
    for (const j of junk) expect(() => parseRequest(j)).not.toThrow();
  });
});

describe("values", () => {
  test("comments and whitespace", () => {
    expect(cleanLine("  command status # hi ")).toBe("command status");
  });
  test("quotes: up to the last matching quote", () => {
    expect(cleanValue(' "hello world" ')).toBe("hello world");
    expect(cleanValue(`'it''s'`)).toBe("it''s");
    expect(cleanValue('"unterminated')).toBe('"unterminated');
    expect(cleanValue("   ")).toBeNull();
    expect(cleanValue('""')).toBeNull();
  });
  test("booleans", () => {
    for (const t of ["1", "true", "ON", "Enabled", "yes"]) expect(parseBool(t)).toBe(true);
    for (const f of ["0", "false", "OFF", "disabled", "No"]) expect(parseBool(f)).toBe(false);
    for (const x of ["2", "maybe", "", "yess"]) expect(parseBool(x)).toBeUndefined();
  });
});
