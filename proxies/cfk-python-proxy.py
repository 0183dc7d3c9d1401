#!/usr/bin/env python3
"""cfk-python-proxy: a preloading proxy for ControlFreak's cfkd.

    cfk-python-proxy.py [--path DIR]... [--preload MODULE]...

cfkd starts this program for a proxy declared with

    proxy py cmd=["python3", "/path/to/cfk-python-proxy.py", "--path", "/srv/app", "--preload", "myapp"]

It imports the --preload modules once, then, each time cfkd asks, forks a
child that runs one service. The children share the parent's memory pages
(the imported code and whatever the modules built at import time) until
they write to them: N workers cost little more than one.

A service's `cmd` names what the child runs (its first word; the other
words become sys.argv[1:]):

    package.module:callable   import it (already done if preloaded) and call
                              callable(); an int result is the exit code
    package.module            run the module as __main__ (like python -m)
    path/to/script.py         run the file as __main__ (like python FILE)

A JSON array cmd works the same way: ["myapp.web:serve", "--port", "8080"].
The child exits 0 when the code returns, with SystemExit's code when it
raises SystemExit, and 1 (traceback on stderr) on any other exception.

The pipe protocol it speaks is described in docs/proxy.md; this file is
meant to be read as an example of it. Standard library only.
"""

import argparse
import gc
import importlib
import json
import os
import runpy
import selectors
import signal
import sys
import time
import traceback

# The largest piece of output relayed as one log line (cfkd splits there too).
MAX_LINE = 64 * 1024
# After SIGTERM (or EOF on the command pipe) the services get this long to
# exit before SIGKILL; cfkd itself waits 3 s for the proxy.
SHUTDOWN_GRACE_SECS = 2.0
PROTOCOL_VARS = ("_CFK_COMMAND_FD", "_CFK_STATUS_FD", "_CFK_LOG_FD")


class Pipes:
    """The three pipes to cfkd: commands in, statuses and log lines out."""

    def __init__(self, env):
        try:
            self.command, self.status, self.log = (int(env[v]) for v in PROTOCOL_VARS)
        except (KeyError, ValueError):
            raise SystemExit("cfk-python-proxy: run me from cfkd (no _CFK_COMMAND_FD, _CFK_STATUS_FD, _CFK_LOG_FD)")
        self.broken = False

    def _write(self, fd, data):
        # Blocking writes are fine: cfkd reads these pipes all the time.
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:  # EPIPE: cfkd is gone
            self.broken = True

    def send_status(self, **fields):
        self._write(self.status, json.dumps(fields).encode() + b"\n")

    def send_log(self, stream, service, text):
        """One log line; service '-' is the proxy itself."""
        if isinstance(text, str):
            text = text.encode("utf-8", "replace")
        self._write(self.log, b"%s:%s:%s\n" % (stream.encode(), service.encode(), text))


class Relay:
    """Turns a child's stdout or stderr into log lines for its service."""

    def __init__(self, fd, service, stream):
        self.fd, self.service, self.stream, self.buf = fd, service, stream, b""

    def feed(self, data, pipes):
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        while len(self.buf) > MAX_LINE:
            lines.append(self.buf[:MAX_LINE])
            self.buf = self.buf[MAX_LINE:]
        for line in lines:
            pipes.send_log(self.stream, self.service, line)

    def end(self, pipes):
        if self.buf:
            pipes.send_log(self.stream, self.service, self.buf)
        self.buf = b""


class Proxy:
    def __init__(self, pipes, sockets):
        self.pipes = pipes
        self.sockets = sockets  # socket name -> fd, from _CFK_SOCK_<name>
        self.sel = selectors.DefaultSelector()
        self.pids = {}  # pid -> service name
        self.running = {}  # service name -> (pid, leads its own process group)
        self.stopping = False
        self.command_buf = b""

        # Signals arrive as bytes on a pipe, so that the main loop handles
        # them between two commands, never in the middle of one.
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: None)
        self.sel.register(self.wake_r, selectors.EVENT_READ, "signal")
        self.sel.register(pipes.command, selectors.EVENT_READ, "command")

    def say(self, text, stream="out"):
        self.pipes.send_log(stream, "-", text)

    # --- the main loop ---

    def run(self):
        self.say(f"cfk-python-proxy ready (pid {os.getpid()}, python {sys.version.split()[0]})")
        while not self.stopping and not self.pipes.broken:
            self.poll(None)
        self.shutdown()

    def poll(self, timeout):
        for key, _ in self.sel.select(timeout):
            what = key.data
            if what == "signal":
                self.on_signals(os.read(self.wake_r, 512))
            elif what == "command":
                self.on_command_data(os.read(key.fd, 65536))
            else:
                self.on_output(what)

    def on_signals(self, sigs):
        if any(s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP) for s in sigs):
            self.stopping = True
        self.reap()

    def on_command_data(self, data):
        if not data:  # EOF: cfkd went away or wants us to stop
            self.stopping = True
            self.sel.unregister(self.pipes.command)
            return
        self.command_buf += data
        *lines, self.command_buf = self.command_buf.split(b"\n")
        for line in lines:
            if line.strip():
                self.on_command(line)

    def on_command(self, line):
        try:
            c = json.loads(line)
            kind, name = c["command"], c["name"]
            if not isinstance(name, str) or not name:
                raise ValueError("no service name")
        except (ValueError, KeyError, TypeError) as e:
            self.say(f"bad command {line[:200]!r}: {e}", "err")
            return
        if kind == "start" and self.stopping:
            self.say(f"not starting {name}: shutting down", "err")
        elif kind == "start":
            self.start(name, c)
        elif kind == "stop":
            self.stop(name, c.get("signal"))
        else:
            self.say(f"unknown command {kind!r} for {name!r}", "err")

    def on_output(self, relay):
        data = os.read(relay.fd, 65536)
        if data:
            relay.feed(data, self.pipes)
            return
        relay.end(self.pipes)
        self.sel.unregister(relay.fd)
        os.close(relay.fd)

    # --- services ---

    def start(self, name, c):
        self.say(f"starting {name}")
        out = None if c.get("ignore_stdout") else os.pipe()
        err = None if c.get("ignore_stderr") else os.pipe()
        own_session = not c.get("no_new_session")
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as e:  # no worker at all: a failed start for cfkd
            for fd in (*(out or ()), *(err or ())):
                os.close(fd)
            self.say(f"cannot fork {name}: {e}", "err")
            self.pipes.send_status(status="stopped", name=name, pid=None, exit_status=127 << 8)
            return
        if pid == 0:
            run_child(name, c, out and out[1], err and err[1], self.sockets, own_session)  # never returns
        for pipe, stream in ((out, "out"), (err, "err")):
            if pipe:
                os.close(pipe[1])
                self.sel.register(pipe[0], selectors.EVENT_READ, Relay(pipe[0], name, stream))
        self.pids[pid] = name
        self.running[name] = (pid, own_session)
        # "started" always goes before this child's "stopped": reaping only
        # happens in the main loop, after this returns.
        self.pipes.send_status(status="started", name=name, pid=pid)

    def stop(self, name, sig):
        entry = self.running.get(name)
        if entry is None:
            self.say(f"stop: {name!r} is not running here", "err")
            return
        if not (isinstance(sig, int) and 1 <= sig <= 64):
            sig = signal.SIGTERM
        self.say(f"stopping {name}")
        signal_service(*entry, sig)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            name = self.pids.pop(pid, None)
            if name is None:
                continue
            if self.running.get(name, (None,))[0] == pid:
                del self.running[name]
            # status is the wait(2) status word, as the protocol wants it
            self.pipes.send_status(status="stopped", name=name, pid=pid, exit_status=status)

    def shutdown(self):
        """Stop every service (TERM, then KILL after the grace), then exit."""
        if self.running:
            self.say(f"shutting down: stopping {len(self.running)} service(s)")
        for entry in list(self.running.values()):
            signal_service(*entry, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECS
        while self.running and time.monotonic() < deadline:
            self.poll(max(0.0, deadline - time.monotonic()))
        for entry in list(self.running.values()):
            signal_service(*entry, signal.SIGKILL)
        while self.running:
            self.poll(0.1)
        self.say("cfk-python-proxy exits")


def signal_service(pid, own_session, sig):
    try:
        if own_session:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


# --- in the forked child ---


def run_child(name, c, out_w, err_w, sockets, own_session):
    """Set up the forked child as cfkd would a service, run it, never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        if own_session:
            os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        stdin = null
        tie = c.get("tie_stdin_to")
        if tie:
            stdin = sockets.get(tie)
            if stdin is None:
                os.dup2(err_w if err_w is not None else null, 2)
                print(f"cfk-python-proxy: socket '{tie}' was not passed to the proxy (is it bound?)", file=sys.stderr, flush=True)
                os._exit(127)
        os.dup2(stdin, 0)
        os.dup2(out_w if out_w is not None else null, 1)
        os.dup2(err_w if err_w is not None else null, 2)
        # Nothing of the proxy's leaks into the service: its pipes to cfkd,
        # other services' output pipes. The shared sockets stay open.
        close_fds_except({0, 1, 2, *sockets.values()})
        for var in PROTOCOL_VARS:
            os.environ.pop(var, None)
        os.environ.update({str(k): str(v) for k, v in (c.get("env") or {}).items()})
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        code = run_target(c.get("cmd"))
    except SystemExit as e:
        code = exit_code(e.code)
    except BaseException as e:
        print_app_traceback(e)
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # not sys.exit: the proxy's atexit handlers are not ours


def run_target(cmd):
    """Run what a service's cmd names; returns the exit code."""
    argv = cmd if isinstance(cmd, list) else str(cmd or "").split()
    if not argv:
        raise SystemExit("cfk-python-proxy: empty cmd")
    target = argv[0]
    sys.argv = list(argv)
    if ":" in target:
        module, _, attr = target.partition(":")
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return exit_code(obj())
    if target.endswith(".py") or "/" in target:
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    return 0


def print_app_traceback(e):
    """The traceback of an application error, without this file's frames."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb)


def exit_code(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v & 0xFF
    print(v, file=sys.stderr)
    return 1


def close_fds_except(keep):
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def sockets_from_env(env):
    out = {}
    for k, v in env.items():
        if k.startswith("_CFK_SOCK_") and v.isdigit():
            out[k[len("_CFK_SOCK_"):]] = int(v)
    return out


def main(argv):
    parser = argparse.ArgumentParser(prog="cfk-python-proxy", description="A preloading proxy for cfkd (see docs/proxy.md).")
    parser.add_argument("--path", action="append", default=[], metavar="DIR", help="add DIR to sys.path (repeatable)")
    parser.add_argument("-p", "--preload", action="append", default=[], metavar="MODULE", help="import MODULE once, before any fork (repeatable)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    pipes = Pipes(os.environ)
    for d in reversed(args.path):
        sys.path.insert(0, os.path.abspath(d))
    for module in args.preload:
        try:
            importlib.import_module(module)
        except BaseException as e:
            pipes.send_log("err", "-", f"cannot preload {module}: {type(e).__name__}: {e}")
            print_app_traceback(e)  # on stderr: the proxy's log too
            return 1
    # What was imported stays shared: keep the collector from touching those
    # objects (writing their headers would copy their pages in every child).
    gc.freeze()
    Proxy(pipes, sockets_from_env(os.environ)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
