"""The media pass of one content type's run: after its entries are written, make each declared media attribute
hold the file at the entry's URL (a mapped field in Strapi, or Medusa's URL column or rows the run read), through
Strapi's media library. An attribute holding several files is `gallery.GalleryAttribute`'s.

It reads the entries (all of them on a full run, else the ones the run read) and the sync's records of what it
uploaded (`media-file`), asks `plan.plan_media` what to do, and does it on a pool of its own
(MediaSettings.concurrency, apart from the entry writers). A file that cannot be fetched under the rules
(`fetch`) is a permanent failure, quarantined with the entry's row; a timeout or a 5xx fails the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from ..mapping import MappingSpec, MediaAttribute
from ..secrets import describe_error
from ..settings import MediaSettings
from ..strapi.client import StrapiClient, StrapiError
from ..strapi.upload import MediaLibrary
from ..row_failure import RowFailure
from .fetch import FetchedFile, FetchError, FetchPolicy, MediaFetcher, NotModified
from .gallery import GalleryAttribute
from .plan import RECORD_FIELDS, RECORDS, MediaAction, MediaEntry, MediaRecord, file_name, plan_media, text_or_none as _text


logger = logging.getLogger(__name__)


def record_key(spec: MappingSpec, media: MediaAttribute, medusa_id: str) -> str:
    """The unique key of one entry's record for one media attribute."""
    return f"{spec.content_type}.{media.attribute}:{medusa_id}"


class MediaPass:
    """Fills the media attributes of one content type's entries (see the module docstring)."""

    def __init__(self, spec: MappingSpec, client: StrapiClient, settings: MediaSettings, *,
                 fail: Callable[[RowFailure], None], log: logging.Logger | Any = logger,
                 urls: Mapping[str, Mapping[str, Any]] | None = None):
        self.spec = spec
        # attribute -> medusa_id -> the URL(s) the run read from Medusa, for attributes whose URLs are not in Strapi
        self.urls: Mapping[str, Mapping[str, Any]] = urls or {}
        self.client = client
        self.settings = settings
        self.fail = fail
        self.log = log
        self.library = MediaLibrary(client)
        self.counts: Counter[str] = Counter()
        self.dry_run = False

    def run(self, medusa_ids: Iterable[str] | None = None, *, dry_run: bool = False) -> Counter[str]:
        """Process every entry (`medusa_ids` None: a full run, which also revalidates unchanged URLs) or these
        entries; returns the counts of what was done (with `dry_run`, of what would be tried: `to fetch`...)."""
        self.dry_run = dry_run
        ids = None if medusa_ids is None else sorted(set(medusa_ids))
        fetcher = MediaFetcher(FetchPolicy.from_settings(self.settings))
        try:
            for media in self.spec.media.values():
                self._run_attribute(media, ids, fetcher)
        finally:
            fetcher.close()
        return self.counts

    def _run_attribute(self, media: MediaAttribute, ids: list[str] | None, fetcher: MediaFetcher) -> None:
        if not media.multiple:
            self._run_file(media, ids, fetcher)
        else:
            GalleryAttribute(self, media).run(ids, fetcher)

    def _run_file(self, media: MediaAttribute, ids: list[str] | None, fetcher: MediaFetcher) -> None:
        """An attribute holding one file: plan each entry's action (`plan_media`) and do them on the pool."""
        entries = self._entries(media, ids)
        records = self._records(media, ids)
        gone = [mid for mid in records if mid not in entries]
        known = [entry for mid, entry in entries.items() if self.has_urls(media, mid)]
        actions = plan_media(known, records, revalidate=ids is None, gone=gone)
        if self.dry_run:
            self.counts.update(f"to {action.kind}" for action in actions)
            return
        if not actions:
            return
        with ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="media") as pool:
            for action, outcome in zip(actions, pool.map(lambda a: self._do(media, a, fetcher), actions)):
                if isinstance(outcome, RowFailure):
                    self.fail(outcome)
                elif outcome:
                    self.counts[outcome] += 1

    def entries(self, media: MediaAttribute, ids: list[str] | None, linked: Iterable[str]) -> Iterable[dict[str, Any]]:
        """The type's entries (all, or those of `ids`) with the fields `media` reads and its files (`linked`: their
        fields)."""
        key = self.spec.key
        selection = {"fields": [key, *media.fields()], "populate": {media.attribute: list(linked)}}
        if ids is None:
            found: Iterable[dict[str, Any]] = self.client.iter_entries(
                self.spec.plural, filters=[(f"filters[{key}][$notNull]", "true")], query=self.spec.strapi.read, **selection)
        else:
            found = self.client.find_by(self.spec.plural, key, ids, query=self.spec.strapi.read, **selection).values()
        return found

    def has_urls(self, media: MediaAttribute, medusa_id: str) -> bool:
        """Whether this run knows the URL(s) of `media` for the entry: always for a mapped field; from Medusa, only
        for the live rows the run read (an entry whose row failed, or is not live, is left as it is)."""
        return not media.from_medusa or medusa_id in self.urls.get(media.attribute, {})

    def url_of(self, media: MediaAttribute, entry: Mapping[str, Any]) -> Any:
        """The URL(s) of `media` for `entry`: from Medusa's rows the run read, or the entry's mapped field."""
        if media.from_medusa:
            return self.urls.get(media.attribute, {}).get(entry[self.spec.key])
        return entry.get(media.source)

    def _entries(self, media: MediaAttribute, ids: list[str] | None) -> dict[str, MediaEntry]:
        key = self.spec.key
        return {e[key]: MediaEntry(e[key], e["documentId"], _first(self.url_of(media, e)),
                                   e.get(media.alt) if media.alt else None,
                                   e.get(media.caption) if media.caption else None, e.get(media.attribute))
                for e in self.entries(media, ids, ["alternativeText", "caption"])}

    def _records(self, media: MediaAttribute, ids: list[str] | None) -> dict[str, MediaRecord]:
        if ids is None:
            prefix = record_key(self.spec, media, "")
            found = self.client.iter_entries(RECORDS, fields=RECORD_FIELDS, filters=[("filters[key][$startsWith]", prefix)])
        else:
            keys = [record_key(self.spec, media, mid) for mid in ids]
            found = self.client.find_by(RECORDS, "key", keys, fields=RECORD_FIELDS).values()
        return {r["medusa_id"]: MediaRecord.from_entry(r) for r in found}

    def _do(self, media: MediaAttribute, action: MediaAction, fetcher: MediaFetcher) -> str | RowFailure | None:
        try:
            if action.kind == "remove":
                return self._remove(media, action)
            if action.kind == "link":
                return self._link(media, action, fetcher)
            if action.kind == "describe":
                self.library.describe(action.record.file_id, **self._info(action))
                self._save(media, action.entry, action.record, alt=action.entry.alt, caption=action.entry.caption)
                return "described"
            record = action.record
            validators = {"etag": record.etag, "last_modified": record.last_modified} if action.kind == "revalidate" else {}
            try:
                fetched = fetcher.fetch(action.entry.url, **validators)
            except NotModified:
                return None
            if record is not None and fetched.sha256 == record.sha256 and action.kind == "revalidate":
                if (fetched.etag, fetched.last_modified) != (record.etag, record.last_modified):
                    self._save(media, action.entry, record, fetched=fetched)  # same bytes: only the validators moved
                return None
            return self._put(media, action, fetched)
        except FetchError as exc:
            return RowFailure(action.medusa_id, "media", f"{media.attribute}: {exc}", permanent=exc.permanent)
        except StrapiError as exc:
            # Strapi refusing a file it cannot read (400) is the file's fault; anything else is Strapi's.
            return RowFailure(action.medusa_id, "media", f"{media.attribute}: {exc}", permanent=exc.status == 400)
        except Exception as exc:  # noqa: BLE001 - one entry's surprise must not stop the others
            return RowFailure(action.medusa_id, "media", f"{media.attribute}: {describe_error(exc)}")

    def _info(self, action: MediaAction) -> dict[str, Any]:
        linked = action.entry.linked or {}
        alt = action.info.get("alternativeText", linked.get("alternativeText"))
        caption = action.info.get("caption", linked.get("caption"))
        return {"alt": alt, "caption": caption}

    def _put(self, media: MediaAttribute, action: MediaAction, fetched: FetchedFile) -> str:
        """Link the fetched content to the entry: the library's file of the same content, else a new upload;
        then release the file the entry's record held before, if it was another."""
        entry = action.entry
        file_id, outcome = self.stored_file(entry.url, fetched, alt=entry.alt, caption=entry.caption)
        self.client.update(self.spec.plural, entry.document_id, {media.attribute: file_id}, query=self.spec.strapi.write)
        previous = action.record
        self._save(media, entry, previous, fetched=fetched, file_id=file_id, alt=entry.alt, caption=entry.caption)
        if previous is not None and previous.file_id != file_id:
            self.release(previous.file_id)
        return outcome

    def stored_file(self, url: str, fetched: FetchedFile, *, alt: Any = None, caption: Any = None) -> tuple[int, str]:
        """The media library's file with the fetched content: one the sync already holds (by content, then by
        name), else a new upload; its id, and "reused" or "uploaded"."""
        name = file_name(url, fetched.sha256, fetched.extension)
        existing = self._same_content(fetched.sha256) or self.library.find_by_name(name)
        if existing is not None:
            return int(existing["id"]), "reused"
        uploaded = self.library.upload(fetched.content, name, fetched.mime, alt=_text(alt), caption=_text(caption))
        return int(uploaded["id"]), "uploaded"

    def _same_content(self, sha256: str) -> dict[str, Any] | None:
        """A file the sync already holds with these bytes (recorded for any entry, under any URL), if it still exists."""
        held = self.client.find_by(RECORDS, "sha256", [sha256], fields=["file_id"])
        ids = [int(r["file_id"]) for r in held.values() if r.get("file_id")]
        files = self.library.files(ids) if ids else {}
        return next(iter(files.values()), None)

    def _link(self, media: MediaAttribute, action: MediaAction, fetcher: MediaFetcher) -> str | RowFailure | None:
        if not self.library.files([action.record.file_id]):  # deleted in the library: fetch it again
            return self._do(media, MediaAction("fetch", action.medusa_id, action.entry, action.record), fetcher)
        self.client.update(self.spec.plural, action.entry.document_id, {media.attribute: action.record.file_id},
                           query=self.spec.strapi.write)
        return "linked"

    def _remove(self, media: MediaAttribute, action: MediaAction) -> str:
        record, entry = action.record, action.entry
        if entry is not None and entry.linked and entry.linked.get("id") == record.file_id:
            self.client.update(self.spec.plural, entry.document_id, {media.attribute: None}, query=self.spec.strapi.write)
        self.client.request("DELETE", f"/api/{RECORDS}/{record.document_id}")
        self.release(record.file_id)
        return "removed"

    def release(self, file_id: int) -> None:
        """Delete a file the sync uploaded once no record holds it (files editors added are never touched: the
        sync deletes only ids from its records)."""
        holders = self.client.find_by(RECORDS, "file_id", [str(file_id)], fields=["key"])
        if not holders:
            self.library.delete(file_id)

    def _save(self, media: MediaAttribute, entry: MediaEntry, record: MediaRecord | None, *,
              fetched: FetchedFile | None = None, file_id: int | None = None, alt: Any = ..., caption: Any = ...) -> None:
        data: dict[str, Any] = {"content_type": self.spec.content_type, "attribute": media.attribute, "medusa_id": entry.medusa_id}
        if fetched is not None:
            data.update(source_url=entry.url, sha256=fetched.sha256, etag=fetched.etag, last_modified=fetched.last_modified,
                        uploaded_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
        if file_id is not None:
            data["file_id"] = file_id
        if alt is not ...:
            data["alt"] = _text(alt)
        if caption is not ...:
            data["caption"] = _text(caption)
        self.client.upsert_by(RECORDS, "key", record_key(self.spec, media, entry.medusa_id), data)


def _first(value: Any) -> Any:
    """A single file's URL: the first of a lookup's values, or the value itself."""
    if isinstance(value, (list, tuple)):
        return next((v for v in value if v not in (None, "")), None)
    return value
