"""A local HTTP server of image files (and bad cases) for the media tests: routes are set per test, answers
carry an ETag and honour If-None-Match, and every request is recorded."""

from __future__ import annotations

import hashlib
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = tuple[int, dict[str, str], bytes]  # status, headers, body


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A valid PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(color) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class ImageServer:
    """Serves `routes` (path -> (status, headers, body)) on 127.0.0.1; unknown paths are 404."""

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[tuple[str, str]] = []  # (method, path)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(("GET", self.path))
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                if "X-Stall" in headers:  # a server that accepts and answers late (timeouts)
                    time.sleep(float(headers["X-Stall"]))
                etag = f'"{hashlib.sha1(body).hexdigest()}"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                if status == 200:
                    self.send_header("ETag", etag)
                for name, value in headers.items():
                    if name not in ("X-Without-Length", "X-Stall", "X-Drip"):
                        self.send_header(name, value)
                if "Content-Length" not in headers and "X-Without-Length" not in headers:  # else: until the connection closes
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if "X-Drip" in headers:  # a server that sends its body a byte at a time (overall deadlines)
                    self._drip(body, float(headers["X-Drip"]))
                    return
                self.wfile.write(body)

            def _drip(self, body: bytes, pause: float) -> None:
                try:
                    for index in range(len(body)):
                        self.wfile.write(body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:
                    pass  # the client hung up

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def image(self, path: str, body: bytes, content_type: str = "image/png") -> str:
        """Serve `body` at `path`; its URL."""
        self.routes[path] = (200, {"Content-Type": content_type}, body)
        return self.base + path

    def url(self, path: str) -> str:
        """The URL of `path` on this server."""
        return self.base + path

    def fetches(self, path: str) -> int:
        """How many times `path` was requested."""
        return sum(1 for _, p in self.requests if p == path)

    def __enter__(self) -> "ImageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
