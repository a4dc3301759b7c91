"""Content types the sync keeps for itself in Strapi: how far each content type is synced, the rows it
quarantined, and the files it uploaded to the media library.

State lives in the destination, as dlt keeps its pipeline state: every entry point (CLI, Dagster runs,
sensors) reads and writes it through the same REST API and token, it survives restarts, and the CMS team
can see the quarantine. `medusa-strapi strapi-schema` generates both types next to the mapped ones.
"""

from __future__ import annotations

from typing import Any

SYNC_STATE = "sync-state"  # one entry per (Medusa database, content type): the confirmed watermark
QUARANTINE = "quarantined-row"  # one entry per (Medusa database, content type, medusa_id) that cannot load
MEDIA_FILE = "media-file"  # one entry per (content type, media attribute, medusa_id): the file the sync uploaded
SYNCED_ENTRY = "synced-entry"  # one entry per entry of a two-way type: the medusa_id its documentId was first seen with
MERGE_BASE = "merge-base"  # one entry per entry of a two-way type: its fields' agreed values and recorded conflicts

KEY_ATTRIBUTE = {"type": "string", "required": True, "unique": True, "column": {"unique": True}}


def _schema(singular: str, plural: str, display: str, description: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "collectionType",
        "collectionName": f"medusa_{plural.replace('-', '_')}",
        "info": {"singularName": singular, "pluralName": plural, "displayName": display, "description": description},
        "options": {"draftAndPublish": False},
        "pluginOptions": {},
        "attributes": {"key": dict(KEY_ATTRIBUTE), **attributes},
    }


SYSTEM_TYPES: dict[str, dict[str, Any]] = {
    SYNC_STATE: _schema(
        SYNC_STATE, "sync-states", "Sync State",
        "How far the Medusa sync has read each content type (written by the sync; do not edit).",
        {
            "content_type": {"type": "string"},
            "source": {"type": "string"},
            "watermark": {"type": "json"},
            "recorded_by": {"type": "string"},
            "recorded_at": {"type": "datetime"},
        },
    ),
    QUARANTINE: _schema(
        QUARANTINE, "quarantined-rows", "Quarantined Row",
        "Medusa rows the sync cannot load, with the reason; retried when the row changes and at the nightly reconcile.",
        {
            "content_type": {"type": "string"},
            "medusa_id": {"type": "text"},
            "source": {"type": "string"},
            "action": {"type": "string"},
            "reason": {"type": "text"},
            "first_seen": {"type": "datetime"},
            "last_seen": {"type": "datetime"},
            "attempts": {"type": "integer"},
        },
    ),
    MEDIA_FILE: _schema(
        MEDIA_FILE, "media-files", "Media File",
        "Files the Medusa sync uploaded to the media library, per entry: where from, which content, what alt text "
        "and caption it set (written by the sync; do not edit).",
        {
            "content_type": {"type": "string"},
            "attribute": {"type": "string"},
            "medusa_id": {"type": "text"},
            "source_url": {"type": "text"},
            "sha256": {"type": "string"},
            "etag": {"type": "text"},
            "last_modified": {"type": "string"},
            "file_id": {"type": "integer"},
            "alt": {"type": "text"},
            "caption": {"type": "text"},
            "uploaded_at": {"type": "datetime"},
        },
    ),
    SYNCED_ENTRY: _schema(
        SYNCED_ENTRY, "synced-entries", "Synced Entry",
        "Which Medusa row each entry of a two-way (write_back) type stands for, as the sync first saw it: the "
        "write-back writes a Medusa row only through its own entry (written by the sync; do not edit).",
        {
            "content_type": {"type": "string"},
            "entry_document": {"type": "string"},  # the entry's documentId ("document_id" is Strapi's own)
            "medusa_id": {"type": "text"},
        },
    ),
    MERGE_BASE: _schema(
        MERGE_BASE, "merge-bases", "Merge Base",
        "The values of the two-way (write_back) fields both sides last agreed on, per entry, and the conflicts "
        "recorded when both changed one to different values (written by the sync; do not edit).",
        {
            "content_type": {"type": "string"},
            "medusa_id": {"type": "text"},
            "base": {"type": "json"},
            "conflicts": {"type": "json"},
            "conflict_count": {"type": "integer"},
            "recorded_at": {"type": "datetime"},
        },
    ),
}


def plural_of(content_type: str) -> str:
    """REST plural of a system content type."""
    return SYSTEM_TYPES[content_type]["info"]["pluralName"]


def uid_of(content_type: str) -> str:
    """Strapi UID of a system content type."""
    return f"api::{content_type}.{content_type}"
