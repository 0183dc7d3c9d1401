/** The proxy wire forms (SPEC §7): commands out; statuses and log lines in, whatever a proxy sends. */
import { describe, expect, test } from "bun:test";
import { decodeWait, parseLogLine, parseStatus, pipeEnv, startCommand, stopCommand } from "../../src/daemon/proxy/protocol.ts";
import { defaultProps } from "../../src/daemon/service/props.ts";
import { defaultProxyProps, setProxyProp } from "../../src/daemon/proxy/props.ts";

describe("commands", () => {
  test("start carries what the proxy needs, with the service's additions to the environment", () => {
    const p = { ...defaultProps(), cmd: ["app:serve", "--port", "8080"], env: { A: "1" }, ignore_stderr: true, tie_stdin_to: "web" };
    expect(JSON.parse(startCommand("w1", p))).toEqual({
      command: "start",
      name: "w1",
      cmd: ["app:serve", "--port", "8080"],
      env: { A: "1", CONTROL_FREAK_ENABLED: "1", CONTROL_FREAK_SERVICE: "w1" },
      ignore_stdout: false,
      ignore_stderr: true,
      tie_stdin_to: "web",
      no_new_session: false,
    });
    expect(JSON.parse(startCommand("w2", { ...defaultProps(), cmd: "sleep 1" }))).toMatchObject({ cmd: "sleep 1", tie_stdin_to: null });
  });

  test("one line each", () => {
    expect(startCommand("x", { ...defaultProps(), cmd: "a\nb" })).not.toContain("\n");
    expect(JSON.parse(stopCommand("x", 2))).toEqual({ command: "stop", name: "x", signal: 2 });
  });

  test("the pipes are announced as fds 3, 4, 5", () => {
    expect(pipeEnv()).toEqual({ _CFK_COMMAND_FD: "3", _CFK_STATUS_FD: "4", _CFK_LOG_FD: "5" });
  });
});

describe("status lines", () => {
  const cases: [string, unknown][] = [
    ['{"status":"started","name":"a","pid":42}', { kind: "started", name: "a", pid: 42 }],
    ['{"status":"started","name":"a","pid":"42"}', { kind: "started", name: "a", pid: 42 }], // Perl may stringify
    ['{"status":"stopped","name":"a","pid":42,"exit_status":0}', { kind: "stopped", name: "a", pid: 42, code: 0, signal: null }],
    ['{"status":"stopped","name":"a","pid":42,"exit_status":768}', { kind: "stopped", name: "a", pid: 42, code: 3, signal: null }],
    ['{"status":"stopped","name":"a","pid":42,"exit_status":9}', { kind: "stopped", name: "a", pid: 42, code: null, signal: 9 }],
    ['{"status":"stopped","name":"a","pid":42,"exit_status":139}', { kind: "stopped", name: "a", pid: 42, code: null, signal: 11 }], // core dumped
    ['{"status":"stopped","name":"a","pid":null,"exit_status":256}', { kind: "stopped", name: "a", pid: null, code: 1, signal: null }],
    ['{"status":"stopped","name":"a","pid":42}', { kind: "stopped", name: "a", pid: 42, code: null, signal: null }],
    ['{"status":"started","name":"a"}', { kind: "invalid", why: "started 'a' without a valid pid" }],
    ['{"status":"started","name":"a","pid":0}', { kind: "invalid", why: "started 'a' without a valid pid" }],
    ['{"status":"started","name":"a","pid":1}', { kind: "invalid", why: "started 'a' without a valid pid" }], // -1 is everything
    ['{"status":"started","name":"a","pid":-5}', { kind: "invalid", why: "started 'a' without a valid pid" }],
    ['{"status":"started","name":"a","pid":1e300}', { kind: "invalid", why: "started 'a' without a valid pid" }],
    ['{"status":"stopped","name":"a","pid":1,"exit_status":0}', { kind: "stopped", name: "a", pid: null, code: 0, signal: null }],
    ['{"status":"paused","name":"a","pid":1}', { kind: "invalid", why: 'unknown status "paused"' }],
    ['{"status":"started","pid":1}', { kind: "invalid", why: "no service name" }],
    ['{"status":"started","name":["a"],"pid":1}', { kind: "invalid", why: "no service name" }],
    ["[1,2]", { kind: "invalid", why: "not a JSON object" }],
    ["null", { kind: "invalid", why: "not a JSON object" }],
    ["started a 42", { kind: "invalid", why: "not JSON" }],
    ["", { kind: "invalid", why: "not JSON" }],
  ];
  for (const [line, want] of cases) test(line || "(empty)", () => expect(parseStatus(line)).toEqual(want as never));

  test("wait status words", () => {
    expect(decodeWait(0)).toEqual({ code: 0, signal: null });
    expect(decodeWait(255 << 8)).toEqual({ code: 255, signal: null });
    expect(decodeWait(15)).toEqual({ code: null, signal: 15 });
    expect(decodeWait(0x137f)).toBeNull(); // WIFSTOPPED
    expect(decodeWait(-1)).toBeNull();
    expect(decodeWait(1.5)).toBeNull();
    expect(decodeWait(0x10000)).toBeNull();
  });
});

describe("log lines", () => {
  const cases: [string, unknown][] = [
    ["out:web:GET / 200", { stream: "out", service: "web", text: "GET / 200" }],
    ["err:web:a: b: c", { stream: "err", service: "web", text: "a: b: c" }],
    ["out:-:proxy ready", { stream: "out", service: null, text: "proxy ready" }],
    ["err:-:", { stream: "err", service: null, text: "" }],
    ["out::no name", { stream: "out", service: null, text: "no name" }],
    ["debug:web:x", { stream: "out", service: "web", text: "x" }],
    ["just some text", { stream: "err", service: null, text: "just some text" }],
    ["one:colon", { stream: "err", service: null, text: "one:colon" }],
  ];
  for (const [line, want] of cases) test(line, () => expect(parseLogLine(line)).toEqual(want as never));
});

describe("proxy properties", () => {
  test("the service rules for cmd, desc, add_env, env; noauto is a boolean", () => {
    const p = defaultProxyProps();
    expect(setProxyProp(p, "cmd", '["python3","proxy.py"]')).toEqual({ ok: true });
    expect(p.cmd).toEqual(["python3", "proxy.py"]);
    expect(setProxyProp(p, "cmd", "[oops")).toEqual({ ok: false, error: "value" });
    expect(setProxyProp(p, "desc", "a\tb\nc")).toEqual({ ok: true });
    expect(p.desc).toBe("abc");
    expect(setProxyProp(p, "noauto", "yes")).toEqual({ ok: true });
    expect(p.noauto).toBe(true);
    expect(setProxyProp(p, "noauto", "maybe")).toEqual({ ok: false, error: "value" });
    expect(setProxyProp(p, "noauto", null)).toEqual({ ok: true });
    expect(p.noauto).toBe(false);
    setProxyProp(p, "add_env", "A=1=2");
    setProxyProp(p, "add_env", "B=");
    expect(p.env).toEqual({ A: "1=2", B: "" });
    expect(setProxyProp(p, "add_env", "=x")).toEqual({ ok: false, error: "value" });
    expect(setProxyProp(p, "env", '{"C":"3"}')).toEqual({ ok: true });
    expect(p.env).toEqual({ C: "3" });
    expect(setProxyProp(p, "add_env", null)).toEqual({ ok: true });
    expect(p.env).toEqual({});
    expect(setProxyProp(p, "startwait_secs", "1")).toEqual({ ok: false, error: "property" });
    expect(setProxyProp(p, "toString", "1")).toEqual({ ok: false, error: "property" });
  });
});
