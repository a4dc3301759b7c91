"""Strapi's media library (the Upload plugin's Content API), on the client's one session.

Uploads are never resent after a request went out without an answer (`StrapiClient.unrepeatable_route`): a
second copy of the file would be made. A file the sync uploads is named after its content's SHA-256, so a lost
answer is found again by name on the next attempt instead of being uploaded twice.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .client import StrapiClient, StrapiError

UPLOAD_PATH = "/api/upload"
FILE_FIELDS = ("name", "alternativeText", "caption", "url", "mime", "hash")


class MediaLibrary:
    """Uploads, finds, describes and deletes files in Strapi's media library."""

    def __init__(self, client: StrapiClient):
        self.client = client
        client.unrepeatable_route(UPLOAD_PATH)

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        """The file named `name` (the oldest one, if an editor copied it), or None."""
        params = {"filters[name][$eq]": name, "sort": "id:asc", "pagination[pageSize]": 1,
                  **{f"fields[{i}]": f for i, f in enumerate(FILE_FIELDS)}}
        found = self.client.request("GET", f"{UPLOAD_PATH}/files", params=params)
        return found[0] if found else None

    def files(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The files with these ids that still exist, by id (one request per 100)."""
        wanted = sorted(set(ids))
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            params = {f"filters[id][$in][{i}]": file_id for i, file_id in enumerate(wanted[start:start + 100])}
            params.update({f"fields[{i}]": f for i, f in enumerate(FILE_FIELDS)})
            params["pagination[pageSize]"] = 100
            for file in self.client.request("GET", f"{UPLOAD_PATH}/files", params=params) or []:
                found[file["id"]] = file
        return found

    def upload(self, content: bytes, name: str, mime: str, *, alt: str | None = None,
               caption: str | None = None) -> dict[str, Any]:
        """Upload one file; Strapi's record of it (id, url, formats...).

        A 500 is tried once more, after looking the name up: Strapi creates its "API Uploads" folder at the
        first upload, and concurrent first uploads lose a race on its unique index (nothing stored).
        """
        info = {"name": name, "alternativeText": alt, "caption": caption}
        for attempt in range(2):
            try:
                body = self.client.request("POST", UPLOAD_PATH, files={"files": (name, content, mime)},
                                           form={"fileInfo": json.dumps(info, ensure_ascii=False)})
                return body[0] if isinstance(body, list) else body
            except StrapiError as exc:
                if exc.status != 500 or attempt:
                    raise
                stored = self.find_by_name(name)
                if stored is not None:
                    return stored
        raise AssertionError("unreachable")

    def describe(self, file_id: int, *, alt: str | None, caption: str | None) -> None:
        """Set a file's alternative text and caption (its name and bytes stay)."""
        info = {"alternativeText": alt, "caption": caption}
        self.client.request("POST", UPLOAD_PATH, params={"id": file_id},
                            form={"fileInfo": json.dumps(info, ensure_ascii=False)})

    def delete(self, file_id: int) -> bool:
        """Delete a file; False when it was already gone."""
        try:
            self.client.request("DELETE", f"{UPLOAD_PATH}/files/{file_id}")
        except StrapiError as exc:
            if exc.status == 404:
                return False
            raise
        return True
