#!/usr/bin/env python3
"""The demo catalog's image host: serves a generated picture for every path under /demo/ (Medusa v1's demo
catalog) and /medusa-v2/ (v2's), so that `scripts/demo` can show product images in Strapi's media library
without the internet. Each path gets its own colours (from its hash), 800x800 PNG, whatever its extension.

    .venv/bin/python scripts/image_host.py [--port 9180]
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.image_server import png  # noqa: E402

PREFIXES = ("/demo/", "/medusa-v2/")
SIZE = 800


def picture(path: str) -> bytes:
    """The picture served at `path`: one colour from the path's hash."""
    digest = hashlib.sha256(path.encode()).digest()
    return png(SIZE, SIZE, (digest[0], digest[1], digest[2]))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/health":
            body, status, kind = b"ok", 200, "text/plain"
        elif path.startswith(PREFIXES):
            body, status, kind = picture(path), 200, "image/png"
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        else:
            body, status, kind = b"not found", 404, "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9180)
    args = parser.parse_args(argv)
    # SIGTERM stops it even when it was started with SIGTERM ignored (a harness's disposition is inherited and
    # would otherwise leave it serving after `scripts/demo` stops it)
    signal.signal(signal.SIGTERM, _stop)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"[image-host] serving demo pictures on http://127.0.0.1:{args.port}{PREFIXES[0]}...", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
