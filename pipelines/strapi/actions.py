"""The Strapi permissions the sync needs, and which one a request needs (pure: read by the client to word a 403,
and by the permission probes)."""

from __future__ import annotations

ACTIONS = ("find", "create", "update", "delete")


def action_of(method: str, path: str) -> str:
    """The Strapi permission a REST request needs: find, create, update or delete (by method)."""
    if "/bulk-upsert/" in path:
        return "find" if method == "GET" or path.endswith(("/find", "/keys")) else "create/update/delete (bulk-upsert)"
    return {"GET": "find", "POST": "create", "PUT": "update", "DELETE": "delete"}.get(method, method)
