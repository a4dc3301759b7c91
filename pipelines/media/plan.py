"""What the media pass does for each entry: pure decisions from the entries (their URL, alt text and caption
fields, the file linked now) and the sync's records of the files it uploaded (`media-file`).

- No record, or the URL changed: fetch the file (and upload it unless the same content is in the library).
- Same URL, nothing linked: link the recorded file again (an entry made anew).
- Same URL on a reconcile: revalidate (a conditional GET; new content replaces the file).
- Alt text or caption changed in Medusa: set it on the file, unless an editor changed it there (their edit stays).
- No URL any more, or the entry is gone: remove the record, and the file if no other record holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..system_types import MEDIA_FILE, plural_of

RECORDS = plural_of(MEDIA_FILE)  # the sync's records of the files it uploaded
RECORD_FIELDS = ("medusa_id", "source_url", "sha256", "file_id", "etag", "last_modified", "alt", "caption")


@dataclass(frozen=True)
class MediaEntry:
    """What the media pass reads of one entry for one media attribute."""

    medusa_id: str
    document_id: str
    url: str | None
    alt: str | None = None
    caption: str | None = None
    linked: dict[str, Any] | None = None  # the file linked now: id, alternativeText, caption


@dataclass(frozen=True)
class MediaRecord:
    """The sync's record of the file it put on one entry's media attribute."""

    medusa_id: str
    source_url: str
    sha256: str
    file_id: int
    etag: str | None = None
    last_modified: str | None = None
    alt: str | None = None
    caption: str | None = None
    document_id: str | None = None  # of the record itself

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> "MediaRecord":
        """A record as Strapi returns it."""
        return cls(entry["medusa_id"], entry.get("source_url") or "", entry.get("sha256") or "", int(entry.get("file_id") or 0),
                   entry.get("etag"), entry.get("last_modified"), entry.get("alt"), entry.get("caption"), entry.get("documentId"))


@dataclass(frozen=True)
class MediaAction:
    """One thing to do: `fetch`, `revalidate`, `link`, `describe` or `remove`."""

    kind: str
    medusa_id: str
    entry: MediaEntry | None = None
    record: MediaRecord | None = None
    info: dict[str, Any] = field(default_factory=dict)  # describe: the file's new alternativeText / caption


def text_or_none(value: Any) -> str | None:
    """A value as text, with None and "" both None (Strapi returns either for an empty text)."""
    return None if value in (None, "") else str(value)


_text = text_or_none


def plan_media(entries: Iterable[MediaEntry], records: dict[str, MediaRecord], *, revalidate: bool,
               gone: Iterable[str] = ()) -> list[MediaAction]:
    """The actions that make each entry's media attribute hold the file at its URL (see the module docstring).

    `records` by medusa_id; `gone` are medusa_ids whose entries no longer exist (their records are removed).
    """
    actions = []
    for entry in entries:
        record = records.get(entry.medusa_id)
        url = _text(entry.url)
        if url is None:
            if record is not None:
                actions.append(MediaAction("remove", entry.medusa_id, entry, record))
            continue
        if record is None or record.source_url != url:
            actions.append(MediaAction("fetch", entry.medusa_id, entry, record))
            continue
        if entry.linked is None:
            actions.append(MediaAction("link", entry.medusa_id, entry, record))
            continue
        if revalidate:
            actions.append(MediaAction("revalidate", entry.medusa_id, entry, record))
            continue
        info = described(entry, record)
        if info:
            actions.append(MediaAction("describe", entry.medusa_id, entry, record, info))
    actions.extend(MediaAction("remove", mid, None, records[mid]) for mid in gone if mid in records)
    return actions


def described(entry: MediaEntry, record: MediaRecord) -> dict[str, Any]:
    """The alt text / caption to set on the linked file: Medusa's new value, where the file still holds the
    value the sync set last (an editor's own edit in the media library is left alone)."""
    if entry.linked is None or entry.linked.get("id") != record.file_id:
        return {}
    info = {}
    for key, wanted, last in (("alternativeText", entry.alt, record.alt), ("caption", entry.caption, record.caption)):
        if _text(wanted) != _text(last) and _text(entry.linked.get(key)) == _text(last):
            info[key] = _text(wanted)
    return info


def file_name(url: str, sha256: str, extension: str) -> str:
    """The name a fetched file gets in the media library: the URL's base name, and its content's hash (how a
    later run finds the same content again)."""
    base = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)[:60].strip("-") or "image"
    return f"{stem}-{sha256[:16]}{extension}"


@dataclass(frozen=True)
class GalleryEntry:
    """What the media pass reads of one entry for an attribute holding several files (`multiple`)."""

    medusa_id: str
    document_id: str
    urls: tuple[str, ...]  # the files' URLs from Medusa, in order
    linked: tuple[int, ...] = ()  # the ids of the files the attribute holds now, in order


@dataclass(frozen=True)
class GalleryPlan:
    """What to do for one entry's files: fetch new URLs, revalidate kept ones (a reconcile), drop the records of
    URLs no longer listed; then link the files in the URLs' order where that differs from what is linked."""

    entry: GalleryEntry
    fetch: tuple[str, ...] = ()
    revalidate: tuple[str, ...] = ()
    dropped: tuple[MediaRecord, ...] = ()


def gallery_urls(value: Any) -> tuple[str, ...]:
    """The distinct non-empty URLs of a lookup's list (or one URL), in their order."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return tuple(dict.fromkeys(url for url in (_text(v) for v in values) if url is not None))


def plan_gallery(entry: GalleryEntry, records: dict[str, MediaRecord], *, revalidate: bool) -> GalleryPlan | None:
    """The plan for one entry (`records`: its files' records by source URL), or None when nothing is to be done.

    A URL without a record is fetched; a recorded one is revalidated on a reconcile; a record whose URL is no
    longer listed is dropped (and its file released). Linking follows: the recorded files in the URLs' order."""
    fetch = tuple(url for url in entry.urls if url not in records)
    kept = tuple(url for url in entry.urls if url in records)
    dropped = tuple(record for url, record in records.items() if url not in entry.urls)
    wanted = linked_order(entry, records)
    if not fetch and not dropped and not (revalidate and kept) and wanted == entry.linked:
        return None
    return GalleryPlan(entry, fetch, kept if revalidate else (), dropped)


def linked_order(entry: GalleryEntry, records: dict[str, MediaRecord]) -> tuple[int, ...]:
    """The file ids the attribute should hold: each listed URL's recorded file, in the URLs' order (a file once, as
    Strapi holds it: two URLs with the same content share their file)."""
    return tuple(dict.fromkeys(records[url].file_id for url in entry.urls if url in records and records[url].file_id))
