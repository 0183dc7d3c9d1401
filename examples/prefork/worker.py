#!/usr/bin/env python3
# A prefork worker: answers HTTP on the listening socket cfkd hands it,
# fd 0 with tie_stdin_to, or fd 3 with listen_fds (systemd style).
import os, signal, socket

sock = socket.socket(fileno=3 if "LISTEN_FDS" in os.environ else 0)
sock.settimeout(0.5)           # wake up now and then to look at `stopping`

stopping = False
def stop(*_):
    global stopping
    stopping = True            # finish the request in hand, then exit
signal.signal(signal.SIGTERM, stop)

name = os.environ.get("CONTROL_FREAK_SERVICE", "worker")
while not stopping:
    try:
        conn, _ = sock.accept()
    except (socket.timeout, BlockingIOError):
        continue               # nothing yet, or another worker took it
    with conn:
        conn.recv(65536)       # the request (a real server would parse it)
        body = b"hello from %s (pid %d)\n" % (name.encode(), os.getpid())
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(body), body))
