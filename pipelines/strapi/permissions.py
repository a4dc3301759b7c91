"""What the sync's credentials may do on a content type, asked of Strapi without writing anything.

Strapi checks a route's permission before it reads the request, so each action is probed with a request
that could never write: a find of one entry, a create and an update without a `data` payload, a delete of
a documentId that cannot exist. 403 means the permission is missing; any other answer (200, 400, 404)
means Strapi let the request through to its validation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .actions import ACTIONS
from .client import StrapiAuthError, StrapiError

if TYPE_CHECKING:
    from .client import StrapiClient

PROBE_DOCUMENT = "medusa-strapi-permission-probe"  # not a documentId Strapi could ever give (it has dashes)


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


def check_access(client: "StrapiClient", plural: str, *, writes: bool = True) -> None:
    """Raise StrapiAuthError naming what is missing when the credentials may not find (and, with `writes`,
    create, update and delete) entries of `/api/<plural>`: fail fast, before any write."""
    missing = missing_actions(client, plural, ACTIONS if writes else ("find",))
    if missing:
        raise client.auth_error("GET", f"/api/{plural}", 403,
                                f"the {client.identity} lacks the permission(s) {', '.join(missing)} on {plural}")
