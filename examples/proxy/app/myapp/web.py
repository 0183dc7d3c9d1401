"""A tiny HTTP server: `myapp.web:serve --port N` answers every GET with a greeting and its pid."""
import argparse
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from myapp import GREETING


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{GREETING} ({os.environ.get('CONTROL_FREAK_SERVICE', '?')}, pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):  # one line per request, to stdout (cfkd logs it)
        print(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}")


def serve():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8001)
    port = ap.parse_args().port
    server = HTTPServer(("127.0.0.1", port), Hello)
    print(f"listening on 127.0.0.1:{server.server_port}")
    server.serve_forever()
