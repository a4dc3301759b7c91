"""What the sync's credentials may do on a content type, asked of Strapi without writing anything.

Strapi checks a route's permission before it reads the request, so each action is probed with a request
that could never write: a find of one entry, a create and an update without a `data` payload, a delete of
a documentId that cannot exist. 403 means the permission is missing; any other answer (200, 400, 404)
means Strapi let the request through to its validation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .client import StrapiAuthError, StrapiError

if TYPE_CHECKING:
    from .client import StrapiClient

ACTIONS = ("find", "create", "update", "delete")
PROBE_DOCUMENT = "medusa-strapi-permission-probe"  # not a documentId Strapi could ever give (it has dashes)


def action_of(method: str, path: str) -> str:
    """The Strapi permission a REST request needs: find, create, update or delete (by method)."""
    if "/bulk-upsert/" in path:
        return "find" if method == "GET" or path.endswith(("/find", "/keys")) else "create/update/delete (bulk-upsert)"
    return {"GET": "find", "POST": "create", "PUT": "update", "DELETE": "delete"}.get(method, method)


def allowed_actions(client: "StrapiClient", plural: str, actions: tuple[str, ...] = ACTIONS) -> dict[str, bool]:
    """{action: allowed} for `actions` (default: the four the sync needs) on `/api/<plural>`.

    Raises StrapiAuthError when the credentials themselves are refused (401), StrapiUnavailable when
    Strapi cannot be reached.
    """
    probes = {
        "find": ("GET", f"/api/{plural}", {"params": {"pagination[pageSize]": 1, "fields[0]": "documentId"}}),
        "create": ("POST", f"/api/{plural}", {"json": {}}),
        "update": ("PUT", f"/api/{plural}/{PROBE_DOCUMENT}", {"json": {}}),
        "delete": ("DELETE", f"/api/{plural}/{PROBE_DOCUMENT}", {}),
    }

    def allowed(action: str) -> bool:
        method, path, options = probes[action]
        try:
            client.request(method, path, **options)
            return True
        except StrapiAuthError as exc:
            if exc.status != 403:
                raise
            return False
        except StrapiError:
            return True  # validation (400) or not found (404): the permission let it through

    # All at once: one round trip instead of four before every run of every type.
    with ThreadPoolExecutor(max_workers=len(actions) or 1, thread_name_prefix="permission-probe") as pool:
        return dict(zip(actions, pool.map(allowed, actions)))


def missing_actions(client: "StrapiClient", plural: str, actions: tuple[str, ...] = ACTIONS) -> list[str]:
    """The actions of `actions` the credentials lack on `/api/<plural>` (empty when all are allowed)."""
    return [action for action, ok in allowed_actions(client, plural, actions).items() if not ok]
