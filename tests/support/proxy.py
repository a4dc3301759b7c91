"""A forwarding HTTP proxy in front of the real Strapi, for timing and faults the real thing cannot show.

Every request is forwarded unchanged to `upstream`, unless the proxy is paused (requests wait at the
gate until `resume()`), or a `fault` callable decides otherwise for it: answer instead of Strapi (a
status, or a dropped connection) before forwarding, stall first, or forward and then replace Strapi's
answer (the request took effect, its answer is lost).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit

Answer = "tuple[int, tuple[tuple[str, str], ...]] | str | None"  # (status, header pairs), "reset", or None: Strapi's own


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request."""

    before: Answer = None  # answer without forwarding
    stall: float = 0.0  # seconds to wait before forwarding
    after: Answer = None  # forward, then answer this instead of Strapi's response

    @property
    def kind(self) -> str:
        """What it does, in a word or two (for counting)."""
        for when, answer in (("before", self.before), ("after", self.after)):
            if answer is not None:
                return f"{answer if answer == 'reset' else answer[0]} {when}"
        return "stall" if self.stall else "none"


FaultPolicy = Callable[[str, str], "Fault | None"]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class StrapiProxy:
    """A threaded proxy on 127.0.0.1 (an ephemeral port) that forwards to `upstream`."""

    def __init__(self, upstream: str, fault: FaultPolicy | None = None, tls: tuple[str, str] | None = None):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.fault = fault
        self.counts: dict[str, int] = {}  # Fault.kind -> requests
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
                decision = (proxy.fault(self.command, self.path) if proxy.fault else None) or Fault()
                with proxy._lock:
                    proxy.counts[decision.kind] = proxy.counts.get(decision.kind, 0) + 1
                if decision.before is not None:
                    proxy._answer(self, decision.before)
                    return
                if decision.stall:
                    time.sleep(decision.stall)
                proxy._forward(self, body, replace=decision.after)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:  # (certificate, key): serve HTTPS, as a Strapi behind TLS would
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _wait_at_gate(self) -> None:
        with self._lock:
            self.waiting += 1
        self._open.wait()
        with self._lock:
            self.waiting -= 1

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, answer) -> None:
        if answer == "reset":
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.close_connection = True
            handler.connection.close()
            return
        status, headers = answer
        handler.send_response(status)
        for key, value in headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes | None, replace=None) -> None:
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
        if replace is not None:
            self._answer(handler, replace)
            return
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
