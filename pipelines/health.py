"""Health of both sides, one check per line: Strapi up and the credentials' permissions per mapped type,
Medusa's database reachable and every mapped table readable, and Medusa's Admin API (its login) where a
mapping writes back. Nothing is written.

The same checks serve `medusa-strapi health` and the Dagster asset checks (`assets/checks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import sqlalchemy as sa

from .mapping import MappingSet, MappingSpec
from .medusa.admin import MedusaAdmin, MedusaAdminError
from .medusa.source import MedusaSource, SourceError
from .secrets import describe_error, redact
from .settings import MediaSettings
from .strapi.bulk import BulkClient
from .strapi.client import StrapiClient, StrapiError, StrapiUnavailable
from .strapi.actions import ACTIONS
from .strapi.permissions import missing_actions


@dataclass(frozen=True)
class Check:
    """One health check: what, whether it passed, and the detail (redacted)."""

    name: str
    ok: bool
    detail: str
    error: Exception | None = field(default=None, compare=False, repr=False)  # what failed it, for callers to explain

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", redact(self.detail))  # every line, the ones that pass too (URLs)

    def line(self) -> str:
        """`ok   name: detail` or `FAIL name: detail`."""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def strapi_reachable(client: StrapiClient) -> Check:
    """GET /_health answers."""
    try:
        client.first_contact()
        return Check("strapi", True, f"{client.base_url}/_health answers")
    except (StrapiUnavailable, StrapiError) as exc:
        return Check("strapi", False, redact(str(exc)))


def strapi_credentials(client: StrapiClient) -> Check:
    """The API token, or the service account's login, is accepted."""
    try:
        client.request("GET", "/api/sync-states", params={"pagination[pageSize]": 1})
        how = "logged in" if client.login else "accepted"
        return Check("strapi credentials", True, f"the {client.identity} is {how}")
    except StrapiError as exc:
        if exc.status == 403:  # accepted, but may not read the sync's state: the type check says which
            return Check("strapi credentials", True, f"the {client.identity} is accepted")
        return Check("strapi credentials", False, redact(exc.message), exc)
    except StrapiUnavailable as exc:
        return Check("strapi credentials", False, redact(str(exc)))


def strapi_permissions(client: StrapiClient, spec: MappingSpec) -> Check:
    """The credentials may find, create, update and delete entries of the mapped type."""
    name = f"strapi {spec.content_type}"
    try:
        missing = missing_actions(client, spec.plural)
    except (StrapiError, StrapiUnavailable) as exc:
        return Check(name, False, describe_error(exc))
    if missing:
        return Check(name, False, f"the {client.identity} lacks {', '.join(missing)} on /api/{spec.plural}")
    return Check(name, True, f"{', '.join(ACTIONS)} allowed on /api/{spec.plural}")


def bulk_plugin(client: StrapiClient, mappings: MappingSet) -> Check:
    """Whether full syncs can use the bulk-upsert plugin (informative: REST works without it)."""
    first = mappings.specs[0]
    try:
        capability = BulkClient(client, key=first.key).capability(first.plural)
    except (StrapiError, StrapiUnavailable) as exc:
        return Check("strapi bulk-upsert plugin", False, describe_error(exc))
    if not capability.installed:
        return Check("strapi bulk-upsert plugin", True, f"not usable ({capability.reason}): full syncs write over REST")
    return Check("strapi bulk-upsert plugin", True, "installed: full syncs, reconciles and backfills write through it")


def medusa_reachable(source: MedusaSource) -> Check:
    """Medusa's database accepts a connection."""
    try:
        with source.engine.connect() as conn:
            version = conn.execute(sa.text("show server_version")).scalar_one()
        return Check("medusa database", True, f"{source.identity} reachable (Postgres {version})")
    except sa.exc.DBAPIError as exc:
        return Check("medusa database", False, f"{source.identity}: {_db_reason(exc)}")


def medusa_readable(source: MedusaSource, spec: MappingSpec) -> Check:
    """Every table the mapping reads (its table, link tables, hops, lookups) answers a SELECT of one row."""
    name = f"medusa {spec.content_type}"
    try:
        with source.engine.connect() as conn:
            conn.execute(source.select(spec, grouped=False).limit(1)).fetchall()  # one row: no whole-table aggregates
        return Check(name, True, f"{spec.table} and the tables its relations read are readable")
    except SourceError as exc:
        return Check(name, False, redact(str(exc)))
    except sa.exc.DBAPIError as exc:
        return Check(name, False, _db_reason(exc))


def strapi_checks(client: StrapiClient, mappings: MappingSet) -> Iterator[Check]:
    """Strapi's checks in order; the per-type ones only when Strapi answers and the credentials work."""
    reachable = strapi_reachable(client)
    yield reachable
    if not reachable.ok:
        return
    credentials = strapi_credentials(client)
    yield credentials
    if not credentials.ok:
        return
    for spec in mappings:
        yield strapi_permissions(client, spec)
    yield bulk_plugin(client, mappings)


def medusa_checks(source: MedusaSource, mappings: MappingSet) -> Iterator[Check]:
    """Medusa's checks in order; the per-type ones only when the database answers."""
    reachable = medusa_reachable(source)
    yield reachable
    if reachable.ok:
        for spec in mappings:
            yield medusa_readable(source, spec)


def medusa_admin_checks(admin: MedusaAdmin | None, mappings: MappingSet) -> Iterator[Check]:
    """Where a mapping declares `write_back`: Medusa's Admin API answers and its admin login works."""
    owners = [spec.content_type for spec in mappings if spec.write_back]
    if not owners:
        return
    name = "medusa admin api"
    if admin is None:
        yield Check(name, False, f"{', '.join(owners)} write(s) back, but MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL and "
                                 "MEDUSA_ADMIN_PASSWORD are not set")
        return
    try:
        if not admin.reachable():
            yield Check(name, False, f"{admin.base_url}/health does not answer 200")
            return
        admin.check_login()
        yield Check(name, True, f"{admin.base_url} answers and the admin login works (write-back of {', '.join(owners)})")
    except MedusaAdminError as exc:
        yield Check(name, False, redact(str(exc)))


def media_checks(media: MediaSettings, mappings: MappingSet) -> Iterator[Check]:
    """Where a mapping declares `media`: whether media upload is on, and from which hosts (off is a safe default,
    not a failure)."""
    attributes = [f"{spec.content_type}.{name}" for spec in mappings for name in spec.media]
    if not attributes:
        return
    if not media.enabled:
        yield Check("media upload", True, f"off: MEDIA_ALLOWED_HOSTS is empty, so {', '.join(attributes)} stay(s) unfilled")
        return
    networks = f"; non-public networks allowed: {', '.join(map(str, media.allowed_networks))}" if media.allowed_networks else ""
    yield Check("media upload", True, f"{', '.join(attributes)} from {', '.join(sorted(media.allowed_hosts))}{networks}")


def _db_reason(exc: sa.exc.DBAPIError) -> str:
    return redact(str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__)
