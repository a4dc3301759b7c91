"""Strapi 5 REST client: one requests.Session with bounded urllib3 retries, explicit timeouts, paging."""

from __future__ import annotations

import json as _json
import time
from typing import Any, Iterable, Iterator, Mapping

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from ..entry_versions import PLAIN, EntryVersions, Query
from ..http_retry import MAX_RETRY_AFTER, READ_RETRIES, RETRIES, TIMEOUT, build_retry
from ..secrets import clean_secret, remember_url
from .actions import action_of
from .auth import API_TOKEN, LOGIN_PATH, NO_AUTH, SERVICE_ACCOUNT, JwtLogin, LoginRefused, ServiceAccount, service_account_login

PAGE_SIZE = 100  # Strapi's maxLimit in config/api.js
MAX_QUERY_CHARS = 6000  # keeps `$in` lookups well under Node's 16 KiB header limit


class StrapiError(Exception):
    """Strapi answered a request with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str):
        self.method, self.path, self.status, self.message = method, path, status, message
        super().__init__(f"{method} {path} -> {status}: {message}")

    @property
    def is_unique_violation(self) -> bool:
        """A create lost a race on `medusa_id`: 400 'must be unique', or 500 from the database index."""
        return self.status == 500 or (self.status == 400 and "unique" in self.message.lower())


# A create answered by a bare 500 may have lost a race on a unique field or created nothing: the entry is
# looked for, and the create tried again, this many times in all, CREATE_PAUSE, then twice as long, apart.
CREATE_ATTEMPTS = 3
CREATE_PAUSE = 0.5


class StrapiAuthError(StrapiError):
    """The API token is missing (403) or wrong (401), the service account's login was refused, or the
    token or user lacks a permission (403).

    `refused`: Strapi refused the credentials themselves (401, or the login), not a permission. `credentials`
    (API_TOKEN or SERVICE_ACCOUNT) and `base_url` say whose and where, when the client knows.
    """

    def __init__(self, method: str, path: str, status: int, message: str, *, credentials: str | None = None,
                 base_url: str | None = None, refused: bool | None = None):
        super().__init__(method, path, status, message)
        self.credentials, self.base_url = credentials, base_url
        self.refused = status == 401 if refused is None else refused


class StrapiUnavailable(Exception):
    """Strapi could not be reached (connection refused, reset or timed out) even after retries."""


HEALTH_PATH = "/_health"
HEALTH_PROBE = f"{HEALTH_PATH}?probe=1"  # mounted apart (the longest prefix wins): no retries
FIRST_CONTACT_RETRIES = 2  # the first request of a run: a Strapi that is down is reported in seconds
PER_ITEM_READ_SECONDS = 0.01  # a batch request's read timeout grows by this per entry it carries...
MAX_BATCH_READ_TIMEOUT = 30.0  # ...up to this, so that a Strapi that hangs is still reported in minutes


def batch_read_timeout(items: int, base: float = TIMEOUT[1], per_item: float = PER_ITEM_READ_SECONDS) -> float:
    """The read timeout for a request carrying `items` entries (a bulk batch): the usual one plus `per_item` an
    entry (10 ms by default), at most 30 s (1,000 entries: 18 s). A busy Strapi writing a big batch is slow, not gone."""
    return min(base + per_item * max(items, 0), max(base, MAX_BATCH_READ_TIMEOUT))


def encode_json(value: Any) -> bytes:
    """`value` as a request body: UTF-8 JSON, not \\u-escaped (non-Latin text stays 2-6 times smaller under
    Strapi's body limit), by orjson (20 times faster than the standard library on the sync's entries).

    NaN and infinities go as null (JSON has none; the transform reads them from Medusa as None already). An
    integer past 64 bits or a type orjson does not know takes the standard library's rules (TypeError for
    what JSON cannot carry; ValueError for text that is not valid Unicode).
    """
    try:
        return orjson.dumps(value)
    except TypeError:
        return _json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


class StrapiClient:
    """Talks to one Strapi 5 over REST with an API token or as a service account. Thread-safe for concurrent writes."""

    def __init__(
        self,
        base_url: str,
        api_token: str | ServiceAccount,
        *,
        timeout: tuple[float, float] = TIMEOUT,
        retries: int = RETRIES,
        backoff_factor: float = 0.25,
        max_retry_after: float = MAX_RETRY_AFTER,
        pool_size: int = 8,
        ca_bundle: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        remember_url(self.base_url)  # a password in the URL is redacted from every message that quotes it
        self.timeout = timeout
        self.session = requests.Session()
        # TLS is verified; a private CA comes as a bundle, never as "off". Passed with every request: a
        # session-level setting loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify: str | bool = ca_bundle or True
        adapter = HTTPAdapter(
            max_retries=build_retry(retries, backoff_factor, max_retry_after),
            pool_connections=1,
            pool_maxsize=pool_size,
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._retries = (retries, backoff_factor, max_retry_after, pool_size)
        # Routes with a budget of their own, on the same session (requests picks the longest mounted prefix):
        # GET /_health, a run's first request, reports a Strapi that is down within seconds.
        self.session.mount(f"{self.base_url}{HEALTH_PATH}",
                           HTTPAdapter(max_retries=build_retry(min(retries, FIRST_CONTACT_RETRIES), backoff_factor)))
        # The probe that tells a busy Strapi from a gone one: one attempt, no retry.
        self.session.mount(f"{self.base_url}{HEALTH_PROBE}", HTTPAdapter(max_retries=0))
        self.session.headers.update({"Accept": "application/json", "User-Agent": "medusa-strapi-sync"})
        self.login: JwtLogin | None = None
        self.credentials = SERVICE_ACCOUNT if isinstance(api_token, ServiceAccount) else API_TOKEN
        self.identity = f"service account {api_token.identifier!r}" if isinstance(api_token, ServiceAccount) else "API token"
        if isinstance(api_token, ServiceAccount):
            self.login = service_account_login(self.session, self.base_url, api_token, timeout, self.verify)
            self.session.auth = self.login
        elif api_token:
            # Cleaned here, on every path in: requests would quote a token with a line break in its error.
            self.session.headers["Authorization"] = f"Bearer {clean_secret('STRAPI_API_TOKEN', api_token)}"

    def idempotent_route(self, path_prefix: str) -> None:
        """Retry POSTs under `path_prefix` on a bare 500 too (their repeats are harmless: upserts by key, reads).
        Mounted once per prefix: later calls reuse its connection pool."""
        self._mount_route(path_prefix, idempotent_posts=True)

    def unrepeatable_route(self, path_prefix: str) -> None:
        """Never resend a request under `path_prefix` that was sent and got no answer (an upload would make a
        second file); what was refused before it was sent, or answered 429/502/503/504, is still retried."""
        self._mount_route(path_prefix, read_retries=0, resend_unanswered=False)

    def _mount_route(self, path_prefix: str, **budget: Any) -> None:
        prefix = f"{self.base_url}{path_prefix}"
        if prefix in self.session.adapters:
            return
        retries, backoff_factor, max_retry_after, pool_size = self._retries
        adapter = HTTPAdapter(max_retries=build_retry(retries, backoff_factor, max_retry_after, **budget),
                              pool_connections=1, pool_maxsize=pool_size)
        self.session.mount(prefix, adapter)

    def __repr__(self) -> str:  # never shows the token
        return f"StrapiClient({self.base_url!r})"

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None, authenticate: bool = True,
                files: Any = None, form: Mapping[str, str] | None = None, encoded_json: bytes | None = None,
                read_timeout: float | None = None) -> Any:
        """Send one request (retried as configured); the parsed JSON body, or None for an empty one.

        A body goes as UTF-8 JSON (`encode_json`), or as `encoded_json` when the caller encoded it already.
        `files` and `form` send a multipart body instead (the media library's uploads). `read_timeout` replaces
        the client's for this request (`batch_read_timeout` for a batch).
        """
        timeout = self.timeout if read_timeout is None else (self.timeout[0], read_timeout)
        body, headers = form, None
        if json is not None:
            encoded_json = encode_json(json)
        if encoded_json is not None:
            body, headers = encoded_json, {"Content-Type": "application/json; charset=utf-8"}
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", params=params, data=body, headers=headers, timeout=timeout,
                verify=self.verify, auth=None if authenticate else NO_AUTH, files=files,
            )
        except requests.exceptions.SSLError as exc:
            raise StrapiUnavailable(
                f"{method} {path}: Strapi at {self.base_url} is not trusted over TLS ({_root_cause(exc)}); "
                "for a private CA, set STRAPI_CA_BUNDLE to its certificate bundle"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            if _unanswered(exc) and path != HEALTH_PATH and self.answers_health():
                raise StrapiUnavailable(
                    f"{method} {path}: Strapi at {self.base_url} answers {HEALTH_PATH} but did not answer this request "
                    f"within {timeout[1]:.0f} s, {READ_RETRIES + 1} times: it is busy or stuck on it, not unreachable"
                ) from None
            raise StrapiUnavailable(
                f"{method} {path}: Strapi at {self.base_url} is unreachable: {_root_cause(exc)}"
            ) from None
        except LoginRefused as exc:
            raise self.auth_error("POST", LOGIN_PATH, 401, str(exc), refused=exc.refused) from None
        if response.status_code == 403:
            raise self.auth_error(method, path, 403, f"{_error_message(response)}: {self._lacks(method, path)}")
        if response.status_code == 401:
            raise self.auth_error(method, path, 401, _error_message(response))
        if response.status_code >= 400:
            raise StrapiError(method, path, response.status_code, _error_message(response))
        if not response.content:
            return None
        return response.json()

    def auth_error(self, method: str, path: str, status: int, message: str, refused: bool | None = None) -> StrapiAuthError:
        """The StrapiAuthError of a refused request, naming these credentials and this Strapi."""
        return StrapiAuthError(method, path, status, message, credentials=self.credentials, base_url=self.base_url,
                               refused=refused)

    def _lacks(self, method: str, path: str) -> str:
        """Which permission a 403 says is missing, in words: the credentials, the action, the content type."""
        parts = path.split("?")[0].strip("/").split("/")
        plural = parts[2] if parts[:2] == ["api", "bulk-upsert"] and len(parts) > 2 else parts[1] if len(parts) > 1 else path
        return f"the {self.identity} lacks the permission {action_of(method, path)} on {plural}"

    def answers_health(self) -> bool:
        """Whether Strapi answers GET /_health now (a quick probe, never raises): told apart, a Strapi that is
        busy on one request is not reported as unreachable."""
        try:
            return self.session.get(f"{self.base_url}{HEALTH_PROBE}", timeout=(2.0, 3.0), verify=self.verify,
                                    auth=NO_AUTH).status_code < 400
        except requests.RequestException:
            return False

    def first_contact(self) -> None:
        """GET /_health with a small retry budget (see __init__): a Strapi that is down or hangs is reported
        within seconds (down) or 30 s (hanging), before a run starts spending the larger budget of its writes."""
        self.request("GET", HEALTH_PATH, authenticate=False)  # no login yet: it would spend the large budget

    def content_types(self) -> dict[str, dict[str, Any]]:
        """Content-type UID -> {"pluralName", "attributes", "draftAndPublish", "localized"}, as the running Strapi has
        them (content-type-builder API)."""
        body = self.request("GET", "/api/content-type-builder/content-types")
        return {ct["uid"]: content_type_summary(ct.get("schema", {})) for ct in body["data"]}

    def iter_entries(
        self,
        plural: str,
        *,
        fields: Iterable[str] = ("medusa_id",),
        populate: Mapping[str, Iterable[str]] | None = None,
        filters: list[tuple[str, Any]] | None = None,
        page_size: int = PAGE_SIZE,
        query: Query = (),
    ) -> Iterator[dict[str, Any]]:
        """Yield every entry of `/api/<plural>` matching `filters`, page by page, in id order (`query`: which
        version of each entry, see `EntryVersions.read`)."""
        base = [*_selection(fields, populate), *(filters or []), *query, ("sort[0]", "id:asc")]
        page = 1
        while True:
            params = [*base, ("pagination[page]", page), ("pagination[pageSize]", page_size)]
            body = self.request("GET", f"/api/{plural}", params=params)
            yield from body["data"]
            meta = body.get("meta", {}).get("pagination", {})
            if page >= meta.get("pageCount", 0):
                return
            page += 1

    def find_by_medusa_ids(
        self,
        plural: str,
        medusa_ids: Iterable[str],
        *,
        fields: Iterable[str] = ("medusa_id",),
        populate: Mapping[str, Iterable[str]] | None = None,
        query: Query = (),
    ) -> dict[str, dict[str, Any]]:
        """Entries of `plural` whose medusa_id is in `medusa_ids`, keyed by medusa_id (`$in` batches)."""
        return self.find_by(plural, "medusa_id", medusa_ids, fields=fields, populate=populate, query=query)

    def find_by(self, plural: str, field: str, values: Iterable[str], **selection: Any) -> dict[str, dict[str, Any]]:
        """Entries of `plural` whose `field` is in `values`, keyed by that field (as `find_all_by` reads them)."""
        return {entry[field]: entry for entry in self.find_all_by(plural, field, values, **selection)}

    def find_all_by(
        self,
        plural: str,
        field: str,
        values: Iterable[str],
        *,
        fields: Iterable[str] = (),
        populate: Mapping[str, Iterable[str]] | None = None,
        query: Query = (),
    ) -> list[dict[str, Any]]:
        """Entries of `plural` whose `field` is in `values` (`$in` batches), each of them: with
        `EntryVersions.every_locale`, an entry in each of its locales."""
        found: list[dict[str, Any]] = []
        fields = [field, *(f for f in fields if f != field)]
        for batch in _batches(sorted(set(values))):
            filters = [(f"filters[{field}][$in][{i}]", value) for i, value in enumerate(batch)]
            found.extend(self.iter_entries(plural, fields=fields, populate=populate, filters=filters, query=query))
        return found

    def create(self, plural: str, data: Mapping[str, Any], *, query: Query = ()) -> dict[str, Any]:
        """POST a new entry; returns it (with documentId). `query`: see `EntryVersions.write`."""
        return self.request("POST", f"/api/{plural}", params=list(query) or None, json={"data": data})["data"]

    def update(self, plural: str, document_id: str, data: Mapping[str, Any], *, query: Query = ()) -> dict[str, Any]:
        """PUT changed attributes of an entry; returns it. `query`: see `EntryVersions.write`."""
        return self.request("PUT", f"/api/{plural}/{document_id}", params=list(query) or None, json={"data": data})["data"]

    def upsert_by(self, plural: str, field: str, value: str, data: Mapping[str, Any], *, create_only: Mapping[str, Any] = (),
                  versions: EntryVersions = PLAIN) -> str:
        """Update the entry whose unique `field` is `value`, or create it (with `create_only` too), as `create_by`
        does; returns "created" or "updated"."""
        if self._update_found(plural, field, value, data, versions):
            return "updated"
        return self.create_by(plural, field, value, data, create_only=create_only, versions=versions)

    def create_by(self, plural: str, field: str, value: str, data: Mapping[str, Any], *, create_only: Mapping[str, Any] = (),
                  versions: EntryVersions = PLAIN) -> str:
        """Create the entry whose unique `field` is `value` (with `data` and `create_only`); returns "created".

        A create refused by the unique index (another writer created the entry first, or this create went
        through and its answer was lost) finds that entry and updates it with `data` instead ("updated"), never
        making a second. A bare 500 with nothing found may have created nothing: tried again, CREATE_ATTEMPTS in all.
        """
        for attempt in range(CREATE_ATTEMPTS):
            try:
                self.create(plural, {field: value, **dict(create_only), **data}, query=versions.write)
                return "created"
            except StrapiError as exc:
                if not exc.is_unique_violation:
                    raise
                if self._update_found(plural, field, value, data, versions):
                    return "updated"
                if exc.status != 500:
                    raise
                if attempt < CREATE_ATTEMPTS - 1:
                    time.sleep(CREATE_PAUSE * 2 ** attempt)
        raise StrapiError("POST", f"/api/{plural}", 409, f"{field} {value!r} could neither be created nor found")

    def _update_found(self, plural: str, field: str, value: str, data: Mapping[str, Any], versions: EntryVersions) -> bool:
        """Update the entry whose `field` is `value` with `data`, if there is one; whether there was."""
        existing = self.find_by(plural, field, [value], query=versions.read).get(value)
        if existing:
            self.update(plural, existing["documentId"], data, query=versions.write)
        return existing is not None

    def delete(self, plural: str, document_id: str, *, query: Query = ()) -> None:
        """DELETE an entry (Strapi answers 204 even when it does not exist). `query`: see `EntryVersions.delete`."""
        self.request("DELETE", f"/api/{plural}/{document_id}", params=list(query) or None)


def content_type_summary(schema: Mapping[str, Any]) -> dict[str, Any]:
    """What the sync compares of a content type's schema (a schema.json, or the content-type-builder's answer)."""
    options, plugins = schema.get("options") or {}, schema.get("pluginOptions") or {}
    return {
        "pluralName": schema.get("pluralName") or (schema.get("info") or {}).get("pluralName"),
        "attributes": schema.get("attributes", {}),
        "draftAndPublish": bool(schema.get("draftAndPublish", options.get("draftAndPublish", False))),
        "localized": bool((plugins.get("i18n") or {}).get("localized", False)),
    }


def _selection(fields: Iterable[str], populate: Mapping[str, Iterable[str]] | None) -> list[tuple[str, Any]]:
    params: list[tuple[str, Any]] = [(f"fields[{i}]", name) for i, name in enumerate(fields)]
    for relation, rel_fields in (populate or {}).items():
        params += [(f"populate[{relation}][fields][{i}]", name) for i, name in enumerate(rel_fields)]
    return params


def _batches(ids: list[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for mid in ids:
        cost = len(mid) * 3 + 40  # worst-case percent-encoding plus the bracketed key
        if batch and (len(batch) >= PAGE_SIZE or size + cost > MAX_QUERY_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(mid)
        size += cost
    if batch:
        yield batch


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return response.text[:300] or response.reason
    message = error.get("message") or response.reason
    details = [
        f"{'.'.join(map(str, e.get('path', [])))}: {e.get('message')}"
        for e in (error.get("details") or {}).get("errors", [])
    ]
    return f"{message} ({'; '.join(details)})" if details else message


def _unanswered(exc: BaseException) -> bool:
    """Whether `exc` (from requests) means the request was sent and no answer came in time."""
    if isinstance(exc, requests.ReadTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    return text.split(": ", 1)[-1] if ": " in text else text or type(exc).__name__
