"""The rules a catalog's image URL must pass before the sync downloads it (pipelines.media.fetch), against a
local HTTP server of the tests' own."""

from __future__ import annotations

import ipaddress
import time

import pytest

from pipelines.media.fetch import (FetchError, FetchPolicy, MediaFetcher, NotModified, address_refusal, authority,
                                   host_allowed, sniff_image)
from pipelines.settings import MediaSettings, SettingsError
from tests.support.image_server import ImageServer, png

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


def policy(**overrides) -> FetchPolicy:
    return FetchPolicy(**{"allowed_hosts": frozenset({"127.0.0.1"}), "allowed_networks": LOOPBACK, "max_bytes": 100_000,
                          "timeout": (2.0, 2.0), "retries": 1, **overrides})


@pytest.fixture
def server():
    with ImageServer() as s:
        yield s


def test_images_are_recognised_by_their_bytes_not_their_name():
    assert sniff_image(png()) == ("image/png", ".png")
    assert sniff_image(b"\xff\xd8\xff\xe0" + b"\x00" * 20) == ("image/jpeg", ".jpg")
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ("image/webp", ".webp")
    assert sniff_image(b"\x00\x00\x00\x1cftypavif") == ("image/avif", ".avif")
    assert sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>") is None  # scriptable: never
    assert sniff_image(b"<html>not an image</html>") is None


@pytest.mark.parametrize("host, allowed", [
    ("cdn.example.com", True), ("CDN.Example.com.", True), ("img.shop.io", True), ("a.b.shop.io", True),
    ("shop.io", False), ("evil-cdn.example.com", False), ("example.com", False), ("cdn.example.com.evil.io", False),
])
def test_the_host_allowlist_takes_exact_names_and_subdomain_wildcards(host, allowed):
    assert host_allowed(host, frozenset({"cdn.example.com", "*.shop.io"})) is allowed


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"), ("172.16.5.4", "private"),
    ("169.254.169.254", "link-local"), ("::1", "loopback"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"),
    ("fc00::1", "private"), ("224.0.0.1", "multicast"), ("100.64.0.1", "not a public"),
])
def test_non_public_addresses_are_refused_unless_a_network_allows_them(address, kind):
    assert kind in address_refusal(address, ())
    assert address_refusal(address, (ipaddress.ip_network(address),)) is None
    assert address_refusal("93.184.216.34", ()) is None


@pytest.mark.parametrize("url, message", [
    ("ftp://127.0.0.1/a.png", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@127.0.0.1/a.png", "credentials"),
    ("http://other.example/a.png", "not in MEDIA_ALLOWED_HOSTS"),
])
def test_urls_refused_before_any_request(url, message, server):
    with pytest.raises(FetchError, match=message) as refused:
        MediaFetcher(policy()).fetch(url)
    assert refused.value.permanent and server.requests == []
    assert "pw" not in str(refused.value)


def test_a_host_resolving_to_a_private_address_is_refused():
    fetcher = MediaFetcher(policy(allowed_hosts=frozenset({"images.shop.test"})), resolver=lambda host, port: ["10.0.0.5"])
    with pytest.raises(FetchError, match="10.0.0.5, a private address") as refused:
        fetcher.fetch("http://images.shop.test/a.png")
    assert refused.value.permanent


def test_loopback_is_refused_without_the_allowed_network(server):
    url = server.image("/a.png", png())
    with pytest.raises(FetchError, match="loopback"):
        MediaFetcher(policy(allowed_networks=())).fetch(url)
    assert server.requests == []


def test_an_image_is_fetched_with_its_hash_type_and_validators(server):
    body = png(10, 10)
    url = server.image("/shirt.png?v=1", body, content_type="application/octet-stream")  # the header is not trusted
    fetched = MediaFetcher(policy()).fetch(url)
    assert fetched.content == body and fetched.mime == "image/png" and fetched.extension == ".png"
    assert fetched.etag and len(fetched.sha256) == 64
    with pytest.raises(NotModified):
        MediaFetcher(policy()).fetch(url, etag=fetched.etag)


@pytest.mark.parametrize("route, message, permanent", [
    ((404, {}, b"gone"), "HTTP 404", True),
    ((200, {"Content-Type": "image/png"}, b"<html>hello</html>"), "not an image by its bytes", True),
    ((200, {"Content-Type": "image/svg+xml"}, b"<svg><script>alert(1)</script></svg>"), "not an image", True),
    ((200, {"Content-Type": "image/png"}, png(400, 400, (1, 2, 3)) + b"\x00" * 200_000), "over the 100,000-byte limit", True),
    ((503, {}, b"busy"), "HTTP 503", False),
])
def test_bad_answers_are_refused_with_a_reason(route, message, permanent, server):
    server.routes["/bad"] = route
    with pytest.raises(FetchError, match=message) as refused:
        MediaFetcher(policy()).fetch(server.url("/bad"))
    assert refused.value.permanent is permanent


def test_a_body_without_a_declared_length_is_cut_at_the_limit(server):
    server.routes["/endless"] = (200, {"Content-Type": "image/png", "X-Without-Length": "1"}, png() + b"\x00" * 200_000)
    with pytest.raises(FetchError, match="over the 100,000-byte limit") as refused:
        MediaFetcher(policy()).fetch(server.url("/endless"))
    assert refused.value.permanent


def test_a_server_that_answers_late_times_out_as_a_transient_failure(server):
    server.routes["/slow.png"] = (200, {"X-Stall": "1.5"}, png())
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out") as refused:
        MediaFetcher(policy(timeout=(1.0, 0.5), retries=1)).fetch(server.url("/slow.png"))
    assert not refused.value.permanent and time.monotonic() - started < 5


@pytest.mark.parametrize("length", ["declared", "until the connection closes"])
def test_a_server_dripping_its_body_is_cut_at_the_overall_deadline(length, server):
    # each byte comes well within the read timeout: only an overall deadline ends this (len(png()) * 0.25 s, ~20 s)
    headers = {"Content-Type": "image/png", "X-Drip": "0.25", **({"X-Without-Length": "1"} if length != "declared" else {})}
    server.routes["/drip.png"] = (200, headers, png())
    started = time.monotonic()
    with pytest.raises(FetchError, match="MEDIA_FETCH_DEADLINE") as refused:
        MediaFetcher(policy(timeout=(1.0, 1.0), deadline=1.0)).fetch(server.url("/drip.png"))
    assert not refused.value.permanent and time.monotonic() - started < 3


def test_the_overall_deadline_covers_every_redirect_and_retry(server):
    server.image("/end.png", png())
    for hop, target in (("/hop1", "/hop2"), ("/hop2", "/hop3"), ("/hop3", "/end.png")):
        server.routes[hop] = (302, {"Location": target, "X-Stall": "0.5"}, b"")  # each hop answers within the timeout
    assert MediaFetcher(policy(timeout=(1.0, 1.0))).fetch(server.url("/hop1")).mime == "image/png"
    started = time.monotonic()
    with pytest.raises(FetchError, match="MEDIA_FETCH_DEADLINE") as refused:
        MediaFetcher(policy(timeout=(1.0, 1.0), deadline=1.0)).fetch(server.url("/hop1"))
    assert not refused.value.permanent and time.monotonic() - started < 2.5
    server.routes["/later.png"] = (503, {"Retry-After": "30"}, b"busy")  # retries wait at most the time left
    started = time.monotonic()
    with pytest.raises(FetchError, match="MEDIA_FETCH_DEADLINE"):
        MediaFetcher(policy(retries=3, deadline=1.0)).fetch(server.url("/later.png"))
    assert time.monotonic() - started < 2.5


def test_busy_answers_are_retried_a_bounded_number_of_times(server):
    server.routes["/busy.png"] = (503, {"Retry-After": "0"}, b"busy")
    with pytest.raises(FetchError, match="HTTP 503"):
        MediaFetcher(policy(retries=2)).fetch(server.url("/busy.png"))
    assert server.fetches("/busy.png") == 3  # the first try and 2 retries
    server.routes["/gone.png"] = (404, {}, b"")
    with pytest.raises(FetchError):
        MediaFetcher(policy(retries=2)).fetch(server.url("/gone.png"))
    assert server.fetches("/gone.png") == 1  # a 404 is not retried


def test_redirects_are_followed_and_each_target_checked(server):
    server.image("/real.png", png())
    server.routes["/moved"] = (302, {"Location": "/real.png"}, b"")
    assert MediaFetcher(policy()).fetch(server.url("/moved")).mime == "image/png"
    server.routes["/to-metadata"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    with pytest.raises(FetchError, match="not in MEDIA_ALLOWED_HOSTS") as refused:
        MediaFetcher(policy(allowed_hosts=frozenset({"127.0.0.1", "169.254.169.254"}) - {"169.254.169.254"})).fetch(server.url("/to-metadata"))
    assert refused.value.permanent
    with pytest.raises(FetchError, match="link-local"):
        MediaFetcher(policy(allowed_hosts=frozenset({"127.0.0.1", "169.254.169.254"}))).fetch(server.url("/to-metadata"))
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(FetchError, match="redirects"):
        MediaFetcher(policy()).fetch(server.url("/loop"))


@pytest.mark.parametrize("url, reached", [
    ("http://127.0.0.1/a.png", ("127.0.0.1", 80)), ("https://CDN.Shop.io./a.png", ("cdn.shop.io", 443)),
    ("http://127.0.0.1:9180/a.png?x=1", ("127.0.0.1", 9180)), ("https://[::1]:8443/", ("::1", 8443)),
])
def test_the_authority_of_a_url_is_its_host_and_port(url, reached):
    assert authority(url) == reached


def test_a_redirect_to_another_port_of_an_allowed_private_network_is_refused(server):
    with ImageServer() as other:  # another local service, on port B
        other.image("/secret.png", png())
        server.routes["/jump"] = (302, {"Location": other.url("/secret.png")}, b"")  # from port A to 127.0.0.1:B
        with pytest.raises(FetchError, match=r"MEDIA_ALLOW_NETWORKS admits only at the host and port of the URL given "
                                             rf"\(127.0.0.1:{server.httpd.server_address[1]}\)") as refused:
            MediaFetcher(policy()).fetch(server.url("/jump"))
        assert refused.value.permanent and "loopback" in str(refused.value)
        assert other.requests == []  # never reached
        assert MediaFetcher(policy()).fetch(other.url("/secret.png")).mime == "image/png"  # the row's own URL: allowed
    server.image("/here.png", png())
    server.routes["/same"] = (302, {"Location": server.url("/here.png")}, b"")  # same host and port: followed
    assert MediaFetcher(policy()).fetch(server.url("/same")).mime == "image/png"


def test_a_public_redirect_target_keeps_the_usual_rules():
    fetcher = MediaFetcher(policy(allowed_hosts=frozenset({"cdn.shop.test", "img.shop.test"})))
    resolver = {"cdn.shop.test": ["93.184.216.34"], "img.shop.test": ["93.184.216.35"], "127.0.0.1": ["127.0.0.1"]}
    fetcher.policy.check_url("https://img.shop.test:8443/a.png", lambda host, port: resolver[host], origin="https://cdn.shop.test/a")
    with pytest.raises(FetchError, match="MEDIA_ALLOW_NETWORKS admits only") as refused:  # public to private elsewhere
        MediaFetcher(policy(allowed_hosts=frozenset({"cdn.shop.test", "127.0.0.1"}))).policy.check_url(
            "http://127.0.0.1:6379/", lambda host, port: resolver[host], origin="https://cdn.shop.test/a")
    assert refused.value.permanent


def test_a_url_whose_port_is_not_a_number_is_refused_for_good():
    with pytest.raises(FetchError, match="not a port number") as refused:
        MediaFetcher(policy()).policy.check_url("http://127.0.0.1:99999/a.png")
    assert refused.value.permanent


def test_media_settings_are_off_by_default_and_read_from_the_environment():
    assert not MediaSettings.from_env({}).enabled
    settings = MediaSettings.from_env({"MEDIA_ALLOWED_HOSTS": " cdn.shop.io, *.img.io ", "MEDIA_ALLOW_NETWORKS": "127.0.0.1/32",
                                       "MEDIA_MAX_BYTES": "5000", "MEDIA_CONCURRENCY": "3"})
    assert settings.enabled and settings.allowed_hosts == {"cdn.shop.io", "*.img.io"}
    assert FetchPolicy.from_settings(settings).max_bytes == 5000 and settings.concurrency == 3
    with pytest.raises(SettingsError, match="MEDIA_ALLOW_NETWORKS"):
        MediaSettings.from_env({"MEDIA_ALLOW_NETWORKS": "localhost"})
    with pytest.raises(SettingsError, match="MEDIA_MAX_BYTES"):
        MediaSettings.from_env({"MEDIA_MAX_BYTES": "-1"})


def test_the_fetch_deadline_is_a_media_setting():
    assert FetchPolicy.from_settings(MediaSettings.from_env({})).deadline == 60
    assert FetchPolicy.from_settings(MediaSettings.from_env({"MEDIA_FETCH_DEADLINE": "15"})).deadline == 15
    with pytest.raises(SettingsError, match="MEDIA_FETCH_DEADLINE must be a whole number of seconds >= 1"):
        MediaSettings.from_env({"MEDIA_FETCH_DEADLINE": "0"})
