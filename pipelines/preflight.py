"""The check every run makes before its first write: the same checks as `medusa-strapi validate`.

Files were checked when the mappings loaded; this adds Medusa's schema (tables, columns, json keys)
and Strapi's content types (the type, its plural, each attribute and its type, relation targets).
Unlike `validate`, it does not skip a system it cannot reach: a run that cannot check does not write.
"""

from __future__ import annotations

from typing import Iterable

from .extract import MedusaSource
from .mapping import MappingErrors, MappingSet
from .strapi import StrapiClient
from .validate import check_database, check_strapi, field_types


def with_targets(mappings: MappingSet, only: Iterable[str] | None) -> list[str] | None:
    """`only` plus every content type their relations point at (None: all)."""
    if only is None:
        return None
    names = list(dict.fromkeys(only))
    for name in list(names):
        names += [t for t in mappings.dependencies(name) if t not in names]
    return names


def preflight(mappings: MappingSet, source: MedusaSource, client: StrapiClient, only: Iterable[str] | None = None) -> None:
    """Raise MappingErrors (file:line: key: message) unless the mappings of `only` (all when None), and
    the types they link to, match Medusa's database and Strapi's content types.

    SourceError / StrapiUnavailable / StrapiError when a system cannot be asked.
    """
    names = with_targets(mappings, only)
    errors = check_database(mappings, source, only=names)
    if not errors:
        errors = check_strapi(
            mappings, client.content_types(), f"Strapi at {client.base_url}",
            types=field_types(mappings, source, only=names), only=names,
        )
    if errors:
        raise MappingErrors(errors)
