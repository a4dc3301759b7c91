"""Fetching a catalog's image files safely: the rules a URL from Medusa must pass before the sync downloads it.

- http and https only; the host must be on the allowlist (MEDIA_ALLOWED_HOSTS: exact names, or `*.example.com`
  for its subdomains); an empty allowlist means media upload is off.
- Every address the host resolves to must be public: private, loopback, link-local, multicast, reserved and
  unspecified addresses are refused unless a network of MEDIA_ALLOW_NETWORKS holds them (tests allow 127.0.0.1).
- Redirects are followed by hand (at most MAX_REDIRECTS), each target checked by the same rules. And one more: a
  non-public address that only MEDIA_ALLOW_NETWORKS admits is reached by a redirect only at the host and port of
  the URL the row gave (`authority`): the network is allowed for that service, not for every port on it (a
  redirect from 127.0.0.1:9180 to 127.0.0.1:5432 would reach another local service). Public targets are
  unaffected.
- At most `max_bytes` are read (Content-Length checked first, then the stream counted); the bytes must be an
  image by their signature (PNG, JPEG, GIF, WebP, AVIF, TIFF; never SVG, which can carry script), whatever the
  Content-Type header says.
- At most `max_pixels` (MEDIA_MAX_PIXELS) by the dimensions its header declares, for PNG, JPEG, GIF and WebP
  (`pixels`): a small file that decodes to gigabytes (a decompression bomb) is refused before upload, as is
  one of these formats whose header does not say its size. AVIF and TIFF are not measured.
- Connect and read timeouts; bounded retries (urllib3) on 429, 502, 503, 504 and connection errors only.
- One overall deadline per file (MEDIA_FETCH_DEADLINE), redirects, retries and the body's stream included: a
  server that drips its answer cannot stretch a fetch past it (`deadline`). Passing it is a transient failure.

The host is resolved and checked before each request; a DNS answer that changes between the check and the
connect (rebinding) is not pinned against.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit

import requests

from ..settings import MediaSettings, Network
from .deadline import Deadline, DeadlineAdapter, DeadlineRetry
from .pixels import READ_TYPES, image_pixels

MAX_REDIRECTS = 5
CHUNK = 64 * 1024

# Image signatures: (offset, bytes) that must match, and the MIME type they mean.
SIGNATURES: tuple[tuple[tuple[tuple[int, bytes], ...], str, str], ...] = (
    (((0, b"\x89PNG\r\n\x1a\n"),), "image/png", ".png"),
    (((0, b"\xff\xd8\xff"),), "image/jpeg", ".jpg"),
    (((0, b"GIF87a"),), "image/gif", ".gif"),
    (((0, b"GIF89a"),), "image/gif", ".gif"),
    (((0, b"RIFF"), (8, b"WEBP")), "image/webp", ".webp"),
    (((4, b"ftypavif"),), "image/avif", ".avif"),
    (((0, b"II*\x00"),), "image/tiff", ".tiff"),
    (((0, b"MM\x00*"),), "image/tiff", ".tiff"),
)


class FetchError(Exception):
    """A file that cannot be fetched. `permanent` ones (refused by a rule, 4xx, not an image, too big) are
    quarantined with the entry; the others (timeouts, 5xx after retries) fail the run, to be retried."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of an image recognised by its first bytes, else None."""
    for checks, mime, ext in SIGNATURES:
        if all(head[offset:offset + len(magic)] == magic for offset, magic in checks):
            return mime, ext
    return None


def host_allowed(host: str, allowed_hosts: frozenset[str]) -> bool:
    """Whether `host` is on the allowlist: an exact name, or a subdomain of a `*.` entry."""
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return False


def address_refusal(address: str, allowed_networks: tuple[Network, ...]) -> str | None:
    """Why `address` may not be fetched from (None when it may): it is not public and no allowed network holds it."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if any(ip in network for network in allowed_networks):
        return None
    for kind in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):  # most precise first
        if getattr(ip, f"is_{kind}"):
            return f"{address}, a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{address}, not a public address"
    return None


def authority(url: str) -> tuple[str, int]:
    """(host, port) a URL reaches: the host lower-cased without a trailing dot, the scheme's port when none is given."""
    parts = urlsplit(url)
    return (parts.hostname or "").rstrip("."), parts.port or (443 if parts.scheme == "https" else 80)


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


@dataclass(frozen=True)
class FetchPolicy:
    """The rules of `MediaFetcher` (see the module docstring); built from MediaSettings."""

    allowed_hosts: frozenset[str]
    allowed_networks: tuple[Network, ...] = ()
    max_bytes: int = 20 * 1024 * 1024
    timeout: tuple[float, float] = (5.0, 20.0)
    retries: int = 3
    deadline: float = 60.0  # seconds for one file, redirects and retries included (MEDIA_FETCH_DEADLINE)
    max_pixels: int = 40_000_000  # width × height an image's header may declare (MEDIA_MAX_PIXELS)

    @classmethod
    def from_settings(cls, settings: MediaSettings) -> "FetchPolicy":
        """The fetch rules the media settings make."""
        return cls(settings.allowed_hosts, settings.allowed_networks, settings.max_bytes,
                   deadline=float(settings.fetch_deadline), max_pixels=settings.max_pixels)

    def check_url(self, url: str, resolver: Resolver = resolve, *, origin: str | None = None) -> None:
        """Raise a permanent FetchError when a rule refuses `url` (scheme, host, addresses); `origin`: the URL the
        row gave, when `url` is a redirect's target (a non-public address is then admitted only at its host and port)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"{_short(url)}: only http and https URLs are fetched, not {parts.scheme or 'none'!r}", permanent=True)
        host = parts.hostname
        if not host:
            raise FetchError(f"{_short(url)}: the URL has no host", permanent=True)
        if parts.username or parts.password:
            raise FetchError(f"{_short(url)}: URLs with credentials are not fetched", permanent=True)
        if not host_allowed(host, self.allowed_hosts):
            raise FetchError(f"{_short(url)}: host {host!r} is not in MEDIA_ALLOWED_HOSTS", permanent=True)
        try:
            port = authority(url)[1]
        except ValueError:
            raise FetchError(f"{_short(url)}: the URL's port is not a port number", permanent=True) from None
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"{_short(url)}: host {host!r} does not resolve ({exc})", permanent=False) from None
        for address in addresses:
            refusal = address_refusal(address, self.allowed_networks)
            if refusal:
                raise FetchError(f"{_short(url)}: host {host!r} resolves to {refusal} (allow it in MEDIA_ALLOW_NETWORKS)",
                                 permanent=True)
            private = address_refusal(address, ())
            if private and origin is not None and authority(url) != authority(origin):
                given = "%s:%d" % authority(origin)
                raise FetchError(f"{_short(url)}: a redirect to {private}, which MEDIA_ALLOW_NETWORKS admits only at the "
                                 f"host and port of the URL given ({given}), not at another host or port", permanent=True)

    def check_pixels(self, content: bytes, mime: str, url: str) -> None:
        """Raise a permanent FetchError when the image's header declares more than `max_pixels` (or, in a format
        whose header is read, does not say its size)."""
        size = image_pixels(content)
        if size is None:
            if mime in READ_TYPES:
                raise FetchError(f"{_short(url)}: its header does not say its size in pixels ({mime})", permanent=True)
            return
        width, height = size
        if width * height > self.max_pixels:
            raise FetchError(f"{_short(url)}: {width:,} x {height:,} pixels, over the {self.max_pixels:,}-pixel limit "
                             "(MEDIA_MAX_PIXELS)", permanent=True)


@dataclass(frozen=True)
class FetchedFile:
    """A downloaded image: its bytes, what they are, and the validators for a later conditional GET."""

    url: str
    content: bytes = field(repr=False)
    mime: str
    extension: str
    sha256: str
    etag: str | None = None
    last_modified: str | None = None


class NotModified(Exception):
    """A conditional GET answered 304: the file at the URL is the one recorded."""


class MediaFetcher:
    """Downloads image files under a FetchPolicy, on one session with bounded retries."""

    def __init__(self, policy: FetchPolicy, resolver: Resolver = resolve):
        self.policy = policy
        self.resolver = resolver
        self.session = requests.Session()
        retry = DeadlineRetry(total=policy.retries, connect=policy.retries, read=1, status=policy.retries, backoff_factor=0.25,
                      backoff_max=4, status_forcelist=(429, 502, 503, 504), allowed_methods=frozenset({"GET"}),
                      respect_retry_after_header=True, raise_on_status=False, redirect=False)
        adapter = DeadlineAdapter(max_retries=retry, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": "medusa-strapi-sync", "Accept": "image/*"})
        self.session.trust_env = False  # no proxy from the environment between the checks and the host

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedFile:
        """Download the image at `url` under the policy; NotModified when the validators still match.

        A transient FetchError naming MEDIA_FETCH_DEADLINE when the whole fetch (redirects and retries included)
        takes longer than the policy's deadline."""
        with Deadline(self.policy.deadline) as deadline:
            return self._fetch(url, deadline, etag=etag, last_modified=last_modified)

    def _fetch(self, url: str, deadline: Deadline, *, etag: str | None, last_modified: str | None) -> FetchedFile:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self.policy.check_url(current, self.resolver, origin=url)
            self._in_time(deadline, current)
            try:
                response = self.session.get(current, headers=headers, timeout=deadline.timeouts(self.policy.timeout),
                                            stream=True, allow_redirects=False)
            except requests.RequestException as exc:
                self._in_time(deadline, current)
                if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
                    raise
                raise FetchError(f"{_short(current)}: {_cause(exc)}", permanent=False) from None
            with response:
                self._in_time(deadline, current)
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    current = urljoin(current, location)
                    continue
                if response.status_code == 304:
                    raise NotModified(url)
                if response.status_code >= 400:
                    raise FetchError(f"{_short(current)}: HTTP {response.status_code}",
                                     permanent=response.status_code < 500 and response.status_code != 429)
                content = self._read(response, current, deadline)
                sniffed = sniff_image(content[:32])
                if sniffed is None:
                    declared = response.headers.get("Content-Type", "no Content-Type")
                    raise FetchError(f"{_short(current)}: not an image by its bytes (declared {declared})", permanent=True)
                self.policy.check_pixels(content, sniffed[0], current)
                return FetchedFile(url=url, content=content, mime=sniffed[0], extension=sniffed[1],
                                   sha256=hashlib.sha256(content).hexdigest(), etag=response.headers.get("ETag"),
                                   last_modified=response.headers.get("Last-Modified"))
        raise FetchError(f"{_short(url)}: more than {MAX_REDIRECTS} redirects", permanent=True)

    def _in_time(self, deadline: Deadline, url: str) -> None:
        """A transient FetchError naming MEDIA_FETCH_DEADLINE once the deadline has passed."""
        if deadline.expired:
            raise FetchError(f"{_short(url)}: not fetched within {deadline.seconds:g} s (MEDIA_FETCH_DEADLINE; "
                             "redirects, retries and the body's stream included)", permanent=False)

    def _read(self, response: requests.Response, url: str, deadline: Deadline) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{_short(url)}: {int(declared):,} bytes, over the {limit:,}-byte limit (MEDIA_MAX_BYTES)",
                             permanent=True)
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > limit:
                    raise FetchError(f"{_short(url)}: over the {limit:,}-byte limit (MEDIA_MAX_BYTES)", permanent=True)
                self._in_time(deadline, url)
        except requests.RequestException as exc:
            self._in_time(deadline, url)  # the deadline shut the connection down under the read
            if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
                raise
            raise FetchError(f"{_short(url)}: {_cause(exc)} while reading", permanent=False) from None
        self._in_time(deadline, url)  # a body read until the connection closed: the deadline may have cut it
        return bytes(body)


def _cause(exc: Exception) -> str:
    """What went wrong with a connection, in words (after the retries, urllib3 wraps a timeout in a ConnectionError)."""
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return "timed out (after retries)"
    if "refused" in text.lower():
        return "connection refused (after retries)"
    return "connection failed (after retries)"


def _short(url: str, limit: int = 200) -> str:
    """The URL as reports show it: without its query and fragment (a signed URL's signature stays out of logs)."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}" if parts.scheme else url.split("?")[0]
    return shown if len(shown) <= limit else shown[:limit] + "…"
