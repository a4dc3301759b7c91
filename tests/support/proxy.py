"""A forwarding HTTP proxy in front of the real Strapi, for timing and faults the real thing cannot show.

Every request is forwarded unchanged to `upstream`, unless the proxy is paused (requests wait at the
gate until `resume()`), or a `fault` callable answers for it (a status with headers, "reset" for a
dropped connection, or a number of seconds to stall before forwarding).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit

Fault = Callable[[str, str], "tuple[int, dict[str, str]] | str | float | None"]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class StrapiProxy:
    """A threaded proxy on 127.0.0.1 (an ephemeral port) that forwards to `upstream`."""

    def __init__(self, upstream: str, fault: Fault | None = None):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.fault = fault
        self.forwarded = 0
        self.waiting = 0
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy._wait_at_gate()
                decision = proxy.fault(self.command, self.path) if proxy.fault else None
                if decision == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    self.connection.close()
                    return
                if isinstance(decision, tuple):
                    status, headers = decision
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(decision, (int, float)):
                    time.sleep(decision)
                proxy._forward(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _wait_at_gate(self) -> None:
        with self._lock:
            self.waiting += 1
        self._open.wait()
        with self._lock:
            self.waiting -= 1

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(handler.command, handler.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        with self._lock:
            self.forwarded += 1
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def pause(self) -> None:
        """Hold every new request at the gate until `resume()`."""
        self._open.clear()

    def resume(self) -> None:
        """Let held and new requests through."""
        self._open.set()

    def wait_until(self, condition: Callable[["StrapiProxy"], bool], timeout: float = 30.0) -> None:
        """Block until `condition(self)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"proxy condition not met in {timeout}s (forwarded={self.forwarded}, waiting={self.waiting})")
            time.sleep(0.02)

    def __enter__(self) -> "StrapiProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.resume()
        self.httpd.shutdown()
        self.httpd.server_close()
