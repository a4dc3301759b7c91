"""A media attribute holding several files (`multiple: true`): the files at the URLs a lookup read from Medusa
(e.g. a product's image rows, by rank), in their order.

Each distinct URL of an entry has its own record (`media-file`, keyed by the entry and the URL), so an image
added, removed or moved costs only itself: a new URL is fetched (uploaded unless the library holds its content),
a dropped one's record goes and its file is released once no record holds it, and the attribute is set to the
recorded files in the URLs' order when that differs from what it holds. A reconcile revalidates every URL
(conditional GETs). The decisions are `plan.plan_gallery`'s.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Protocol

from ..mapping import MappingSpec, MediaAttribute
from ..row_failure import RowFailure
from ..secrets import describe_error
from ..settings import MediaSettings
from ..strapi.client import StrapiClient, StrapiError
from .fetch import FetchedFile, FetchError, MediaFetcher, NotModified
from .plan import RECORD_FIELDS, RECORDS, GalleryEntry, GalleryPlan, MediaRecord, gallery_urls, linked_order, plan_gallery

LINKED_FIELDS = ("id",)


class MediaOwner(Protocol):
    """What a gallery uses of the media pass it is part of (`run.MediaPass`)."""

    spec: MappingSpec
    client: StrapiClient
    settings: MediaSettings
    counts: Counter[str]
    dry_run: bool
    fail: Callable[[RowFailure], None]

    def entries(self, media: MediaAttribute, ids: list[str] | None, linked: Iterable[str]) -> Iterable[dict[str, Any]]: ...
    def url_of(self, media: MediaAttribute, entry: Mapping[str, Any]) -> Any: ...
    def has_urls(self, media: MediaAttribute, medusa_id: str) -> bool: ...
    def stored_file(self, url: str, fetched: FetchedFile, *, alt: Any = None, caption: Any = None) -> tuple[int, str]: ...
    def release(self, file_id: int) -> None: ...


class GalleryAttribute:
    """The files of one `multiple` media attribute of a type's entries, through the media pass `owner` (its client,
    library, records, counters and failures)."""

    def __init__(self, owner: MediaOwner, media: MediaAttribute):
        self.owner = owner
        self.media = media
        self.prefix = f"{owner.spec.content_type}.{media.attribute}:"

    def record_key(self, medusa_id: str, url: str) -> str:
        """The unique key of the record of one file of one entry."""
        return f"{self.prefix}{medusa_id}#{hashlib.sha256(url.encode()).hexdigest()[:24]}"

    def run(self, ids: list[str] | None, fetcher: MediaFetcher) -> None:
        """Make every entry (or those of `ids`) hold its files; drop the records of entries gone."""
        key = self.owner.spec.key
        found = list(self.owner.entries(self.media, ids, LINKED_FIELDS))
        existing = {e[key] for e in found}
        entries = [GalleryEntry(e[key], e["documentId"], gallery_urls(self.owner.url_of(self.media, e)),
                                tuple(int(f["id"]) for f in e.get(self.media.attribute) or ()))
                   for e in found if self.owner.has_urls(self.media, e[key])]
        records = self._records(ids)
        gone = [record for mid, held in records.items() if mid not in existing for record in held.values()]
        plans = [plan for entry in entries
                 if (plan := plan_gallery(entry, records.get(entry.medusa_id, {}), revalidate=ids is None)) is not None]
        if self.owner.dry_run:
            self.owner.counts.update({"to fetch": sum(len(p.fetch) for p in plans), "to remove": len(gone) + sum(len(p.dropped) for p in plans)})
            return
        for record in gone:
            self._drop(record)
        if not plans:
            return
        with ThreadPoolExecutor(max_workers=self.owner.settings.concurrency, thread_name_prefix="media") as pool:
            for outcome in pool.map(lambda plan: self._apply(plan, records.get(plan.entry.medusa_id, {}), fetcher), plans):
                for failure in outcome:
                    self.owner.fail(failure)

    def _records(self, ids: list[str] | None) -> dict[str, dict[str, MediaRecord]]:
        """The records of this attribute's files: medusa_id -> source URL -> record."""
        client = self.owner.client
        fields = [*RECORD_FIELDS, "key"]
        if ids is None:
            found = client.iter_entries(RECORDS, fields=fields, filters=[("filters[key][$startsWith]", self.prefix)])
        else:
            found = (r for r in client.find_all_by(RECORDS, "medusa_id", ids, fields=fields)
                     if str(r.get("key") or "").startswith(self.prefix))
        records: dict[str, dict[str, MediaRecord]] = {}
        for entry in found:
            record = MediaRecord.from_entry(entry)
            records.setdefault(record.medusa_id, {})[record.source_url] = record
        return records

    def _apply(self, plan: GalleryPlan, held: dict[str, MediaRecord], fetcher: MediaFetcher) -> list[RowFailure]:
        """Fetch, revalidate and drop as `plan` says, then link the recorded files in order; the failures (one URL's
        failure leaves the entry's other files linked)."""
        held = dict(held)
        failures = []
        entry = plan.entry
        for url in (*plan.fetch, *plan.revalidate):
            try:
                record = self._fetched(entry, url, held.get(url), fetcher)
            except FetchError as exc:
                failures.append(RowFailure(entry.medusa_id, "media", f"{self.media.attribute}: {exc}", permanent=exc.permanent))  # names the URL
                continue
            except StrapiError as exc:
                failures.append(RowFailure(entry.medusa_id, "media", f"{self.media.attribute}: {url}: {exc}", permanent=exc.status == 400))
                continue
            except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the others
                failures.append(RowFailure(entry.medusa_id, "media", f"{self.media.attribute}: {url}: {describe_error(exc)}"))
                continue
            if record is not None:
                held[url] = record
        wanted = linked_order(entry, held)
        try:
            if wanted != entry.linked:
                self.owner.client.update(self.owner.spec.plural, entry.document_id, {self.media.attribute: list(wanted)},
                                         query=self.owner.spec.strapi.write)
                self.owner.counts["linked"] += 1
            for record in plan.dropped:
                self._drop(record)
        except StrapiError as exc:
            failures.append(RowFailure(entry.medusa_id, "media", f"{self.media.attribute}: {exc}"))
        return failures

    def _fetched(self, entry: GalleryEntry, url: str, record: MediaRecord | None, fetcher: MediaFetcher) -> MediaRecord | None:
        """The record of the file at `url` once fetched (new content stored), or None when a revalidation found it
        unchanged."""
        validators = {"etag": record.etag, "last_modified": record.last_modified} if record is not None else {}
        try:
            fetched = fetcher.fetch(url, **validators)
        except NotModified:
            return None
        if record is not None and fetched.sha256 == record.sha256:
            return None
        file_id, outcome = self.owner.stored_file(url, fetched)
        self.owner.counts[outcome] += 1
        data = {"content_type": self.owner.spec.content_type, "attribute": self.media.attribute, "medusa_id": entry.medusa_id,
                "source_url": url, "sha256": fetched.sha256, "etag": fetched.etag, "last_modified": fetched.last_modified,
                "file_id": file_id, "uploaded_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}
        self.owner.client.upsert_by(RECORDS, "key", self.record_key(entry.medusa_id, url), data)
        if record is not None and record.file_id != file_id:
            self.owner.release(record.file_id)
        return MediaRecord(entry.medusa_id, url, fetched.sha256, file_id, fetched.etag, fetched.last_modified)

    def _drop(self, record: MediaRecord) -> None:
        """Remove the record of a file no longer listed, and the file once no record holds it."""
        if record.document_id:
            self.owner.client.request("DELETE", f"/api/{RECORDS}/{record.document_id}")
        self.owner.release(record.file_id)
        self.owner.counts["removed"] += 1
