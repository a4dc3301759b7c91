"""The bulk-upsert plugin's API (`strapi-plugin-bulk-upsert/`): batches of upserts and deletes of one content
type in one transaction inside Strapi, and reads of thousands of entries by medusa_id in one request.

It goes through the `StrapiClient`'s session (same token, retries, TLS and errors); this module only
knows the plugin's routes, how big a batch may be, and whether the plugin can write a content type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

from ..entry_versions import PLAIN, EntryVersions
from ..mapping import DEFAULT_KEY
from .client import PER_ITEM_READ_SECONDS, StrapiClient, StrapiError, batch_read_timeout, encode_json

PREFIX = "/api/bulk-upsert"
MAX_BATCH_ENTRIES = 2000
MAX_BATCH_BYTES = 800_000  # under koa-body's default 1 MB JSON limit of any Strapi app
FIND_BATCH = 5000
KEYS_PAGE = 20000


class WriteMode(str, Enum):
    """How a sync path writes: `auto` uses the plugin where it is installed and can write the type, `rest`
    never does, `bulk` requires the plugin (types it refuses still go over REST, said in the log)."""

    AUTO = "auto"
    REST = "rest"
    BULK = "bulk"


class BulkUnavailable(Exception):
    """`bulk` was asked for and the plugin is not installed in this Strapi."""


@dataclass(frozen=True)
class Capability:
    """Whether the plugin writes a content type, and why not when it does not (None: plugin absent)."""

    installed: bool
    writable: bool
    reason: str | None = None
    # written through Strapi's Document Service (Draft & Publish, locales, or links to such types): entry by entry,
    # some 20 times slower than the plugin's own path, so in smaller batches given more time each
    document_service: bool = False
    key_indexed: bool | None = None  # a unique index holds the key in the database (None: the plugin cannot tell)


class EntryOutcome(NamedTuple):
    """The plugin's answer for one entry: created/updated/deleted/missing, or an error with its status."""

    key: str
    status: str
    document_id: str | None = None
    error_status: int | None = None
    error: str | None = None


class BulkClient:
    """Calls the bulk-upsert plugin of the Strapi `client` talks to."""

    def __init__(self, client: StrapiClient, key: str = DEFAULT_KEY):
        self.client = client
        self.key = key
        # Every route of the plugin may be repeated safely (a batch upserts by key; the rest read).
        client.idempotent_route(f"{PREFIX}/")

    def capability(self, plural: str) -> Capability:
        """Ask the plugin whether it can write `plural` (an absent plugin answers 404 or 405)."""
        try:
            body = self.client.request("GET", f"{PREFIX}/{plural}", params={"key": self.key})
        except StrapiError as exc:
            if exc.status in (404, 405):
                return Capability(False, False, "the bulk-upsert plugin is not installed in Strapi")
            raise
        return Capability(True, bool(body.get("writable")), body.get("reason"), bool(body.get("documentService")),
                          body.get("keyIndexed"))

    def write(self, plural: str, entries: list[dict[str, Any]], deletes: list[str],
              versions: EntryVersions = PLAIN) -> tuple[list[EntryOutcome], list[EntryOutcome]]:
        """One batch in one transaction; the outcome of each entry and each delete.

        Raises StrapiError when the batch was rolled back as a whole (nothing written: retry per entry).
        """
        return self.write_encoded(plural, [encode_json(entry) for entry in entries], deletes, versions)

    def write_encoded(self, plural: str, entries: Sequence[bytes], deletes: list[str], versions: EntryVersions = PLAIN,
                      per_entry: float = PER_ITEM_READ_SECONDS) -> tuple[list[EntryOutcome], list[EntryOutcome]]:
        """`write` with each entry already encoded (`encode_json`): the sync encodes an entry once, to size its
        batch and to send it. `per_entry`: seconds the answer may take per entry (see `batch_read_timeout`)."""
        # a Draft & Publish type: whether writes publish and deletes unpublish (both values are names the mapping's
        # schema allows, JSON strings as they are)
        modes = f',"publish":"{versions.publish}","onDelete":"{versions.on_delete}"'.encode() if versions.draft_and_publish else b""
        body = b"".join((b'{"key":', encode_json(self.key), modes, b',"entries":[', b",".join(entries), b'],"deletes":',
                         encode_json(deletes), b"}"))
        answer = self.client.request("POST", f"{PREFIX}/{plural}", encoded_json=body,
                                     read_timeout=batch_read_timeout(len(entries) + len(deletes), per_item=per_entry))
        results = [
            EntryOutcome(r.get("key"), r["status"], r.get("documentId"),
                         (r.get("error") or {}).get("status"), (r.get("error") or {}).get("message"))
            for r in answer["results"]
        ]
        deleted = [EntryOutcome(d["documentId"], d["status"], d["documentId"]) for d in answer["deleted"]]
        return results, deleted

    def keys(self, plural: str, *, key: str | None = None) -> Iterator[dict[str, Any]]:
        """Every entry that has a key (`key`, else the client's): {documentId, <key>} in pages of KEYS_PAGE, in id
        order."""
        after = 0
        while True:
            body = self.client.request("POST", f"{PREFIX}/{plural}/keys", json={"key": key or self.key, "after": after, "limit": KEYS_PAGE})
            yield from body["data"]
            if body.get("next") is None:
                return
            after = body["next"]

    def find(
        self,
        plural: str,
        values: Iterable[str],
        *,
        fields: Iterable[str] = (),
        populate: Mapping[str, Iterable[str]] | None = None,
        key: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Entries whose key (`key`, else the client's) is in `values`, keyed by it, shaped as REST returns them
        (few requests)."""
        key = key or self.key
        found: dict[str, dict[str, Any]] = {}
        values = sorted(set(values))
        for start in range(0, len(values), FIND_BATCH):
            part = values[start:start + FIND_BATCH]
            body = self.client.request("POST", f"{PREFIX}/{plural}/find", json={
                "key": key, "values": part, "fields": [f for f in fields if f != key],
                "populate": {k: list(v) for k, v in (populate or {}).items()},
            }, read_timeout=batch_read_timeout(len(part) // 10))
            for entry in body["data"]:
                found[entry[key]] = entry
        return found


def batches(items: list[Any], size_of=lambda item: len(encode_json(item))) -> Iterator[list[Any]]:
    """Split `items` into batches of at most MAX_BATCH_ENTRIES entries and about MAX_BATCH_BYTES of JSON."""
    batch: list[Any] = []
    size = 0
    for item in items:
        cost = size_of(item) + 1
        if batch and (len(batch) >= MAX_BATCH_ENTRIES or size + cost > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += cost
    if batch:
        yield batch
