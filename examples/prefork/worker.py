#!/usr/bin/env python3
# A prefork worker: answers HTTP on the listening socket cfkd hands it,
# fd 0 with tie_stdin_to, or fd 3 with listen_fds (systemd style).
# With --ready-fd N it says when it is ready (cfkd's ready=fd:N).
import os, signal, socket, sys

sock = socket.socket(fileno=3 if "LISTEN_FDS" in os.environ else 0)
sock.settimeout(0.5)           # wake up now and then to look at `stopping`

stopping = False
def stop(*_):
    global stopping
    stopping = True            # finish the request in hand, then exit
signal.signal(signal.SIGTERM, stop)

name = os.environ.get("CONTROL_FREAK_SERVICE", "worker")
# (a real server would load its code here)
if len(sys.argv) == 3 and sys.argv[1] == "--ready-fd":
    fd = int(sys.argv[2])      # ready=fd:N: tell cfkd we accept now
    os.write(fd, b"\n")
    os.close(fd)
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
