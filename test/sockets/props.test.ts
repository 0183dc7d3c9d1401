/** Socket property rules (SPEC §3.3), bind targets and address text: pure, table-driven. */
import { expect, test } from "bun:test";
import { bindTarget, declaredAddress, defaultSocketProps, servicePort, setSocketProp, type SocketProps } from "../../src/daemon/socket/props.ts";
import { formatIPv6 } from "../../src/daemon/socket/bind.ts";

function withProps(...pairs: [string, string][]): SocketProps {
  const p = defaultSocketProps();
  for (const [k, v] of pairs) expect(setSocketProp(p, k, v)).toEqual({ ok: true });
  return p;
}

test.each([
  ["host", "127.0.0.1", { host: "127.0.0.1" }],
  ["host", "0.0.0.0", { host: "0.0.0.0" }],
  ["host", "::", { host: "::" }],
  ["host", "[::1]", { host: "::1" }],
  ["host", "LocalHost", { host: "localhost" }],
  ["host", "unix/", { host: "unix/" }],
  ["service", "8080", { service: "8080" }],
  ["service", "0", { service: "0" }],
  ["service", "007", { service: "7" }],
  ["service", "http", { service: "http" }],
  ["service", "/tmp/x.sock", { service: "/tmp/x.sock" }],
  ["listen_qsize", "10", { listen_qsize: 10 }],
  ["listen_qsize", "MAX", { listen_qsize: "max" }],
  ["listen_qsize", "0", { listen_qsize: null }],
  ["nonblocking", "yes", { nonblocking: true }],
  ["nonblocking", "off", { nonblocking: false }],
] as const)("%s=%s is accepted", (prop, value, expected) => {
  const p = defaultSocketProps();
  expect(setSocketProp(p, prop, value)).toEqual({ ok: true });
  expect(p).toMatchObject(expected);
});

test.each([
  ["host", "example.com"],
  ["host", "1.2.3"],
  ["host", "unix"],
  ["service", "65536"],
  ["service", "-1"],
  ["service", "not a name"],
  ["listen_qsize", "-1"],
  ["listen_qsize", "ten"],
  ["listen_qsize", "99999999999"],
  ["nonblocking", "maybe"],
])("%s=%s is an invalid value", (prop, value) => {
  const p = defaultSocketProps();
  expect(setSocketProp(p, prop, value)).toEqual({ ok: false, error: "value" });
  expect(p).toEqual(defaultSocketProps());
});

test("unknown property; unset goes back to the default", () => {
  const p = withProps(["host", "::1"], ["nonblocking", "1"]);
  expect(setSocketProp(p, "colour", "red")).toEqual({ ok: false, error: "property" });
  expect(setSocketProp(p, "nonblocking", null)).toEqual({ ok: true });
  expect(setSocketProp(p, "host", null)).toEqual({ ok: true });
  expect(p).toEqual(defaultSocketProps());
});

test("bind targets", () => {
  const none = () => undefined;
  const services = (n: string) => (n === "http" ? 80 : undefined);
  expect(bindTarget(defaultSocketProps(), none)).toBe("host and service must both be set");
  expect(bindTarget(withProps(["host", "::1"], ["service", "0"]), none)).toEqual({ kind: "tcp", host: "::1", port: 0 });
  expect(bindTarget(withProps(["host", "0.0.0.0"], ["service", "http"]), services)).toEqual({ kind: "tcp", host: "0.0.0.0", port: 80 });
  expect(bindTarget(withProps(["host", "0.0.0.0"], ["service", "nosuch"]), services)).toBe("unknown service 'nosuch'");
  expect(bindTarget(withProps(["host", "unix/"], ["service", "/run/a.sock"]), none)).toEqual({ kind: "unix", path: "/run/a.sock" });
  expect(bindTarget(withProps(["host", "unix/"], ["service", "rel/a.sock"]), none)).toMatch(/must be absolute/);
  expect(bindTarget(withProps(["host", "unix/"], ["service", "8080"]), none)).toMatch(/must be absolute/);
  expect(bindTarget(withProps(["host", "127.0.0.1"], ["service", "/x.sock"]), none)).toMatch(/host is not unix/);
});

test("declared address text", () => {
  expect(declaredAddress(withProps(["host", "127.0.0.1"], ["service", "8080"]))).toBe("127.0.0.1:8080");
  expect(declaredAddress(withProps(["host", "::1"], ["service", "0"]))).toBe("[::1]:0");
  expect(declaredAddress(withProps(["host", "unix/"], ["service", "/a.sock"]))).toBe("unix:/a.sock");
  expect(declaredAddress(defaultSocketProps())).toBe(":");
});

test("/etc/services lookup: names, aliases, tcp only, comments", () => {
  const text = "# comment\nhttp\t\t80/tcp\t\twww # WorldWideWeb\nsyslog 514/udp\nhttp-alt 8080/tcp webcache\n";
  expect(servicePort(text, "http")).toBe(80);
  expect(servicePort(text, "www")).toBe(80);
  expect(servicePort(text, "webcache")).toBe(8080);
  expect(servicePort(text, "syslog")).toBeUndefined();
  expect(servicePort(text, "comment")).toBeUndefined();
});

test.each([
  ["::1", [...new Array(15).fill(0), 1]],
  ["::", new Array(16).fill(0)],
  ["2001:db8::1", [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]],
  ["2001:db8:0:1:1:1:1:1", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]],
  ["fe80::1:0:0:1", [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
])("IPv6 text %s", (text, bytes) => {
  expect(formatIPv6(new Uint8Array(bytes))).toBe(text);
});
