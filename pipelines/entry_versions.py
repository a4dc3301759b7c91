"""Which rows of a Strapi document the sync reads and writes, for a type with Draft & Publish or locales.

Strapi 5 keeps a document's draft, its published version and each of its locales as rows of their own. The
mapping's `strapi:` block says which of those the type has and how the sync treats them; this module turns
that into the query parameters of Strapi's REST API (`status`, `locale`). A leaf: the mapping layer builds it,
the Strapi clients and the sync read it.
"""

from __future__ import annotations

from dataclasses import dataclass

Query = tuple[tuple[str, str], ...]  # extra query parameters of a REST request


@dataclass(frozen=True)
class EntryVersions:
    """The versions a content type's documents have in Strapi, and the ones the sync works on."""

    draft_and_publish: bool = False
    localized: bool = False
    publish: str = "on_sync"
    on_delete: str = "delete"

    @property
    def read(self) -> Query:
        """Where the sync reads an entry: the draft (every document of a Draft & Publish type has one, while its
        published version may be missing), in the default locale (Strapi's default when none is named)."""
        return (("status", "draft"),) if self.draft_and_publish else ()

    @property
    def every_locale(self) -> Query:
        """Where the sync reads an entry's other locales: the drafts of every locale (the default one with them)."""
        return (*self.read, ("locale", "*"))

    def write_in(self, locale: str | None) -> Query:
        """`write`, in `locale` (None: the default locale)."""
        return (*self.write, ("locale", locale)) if locale else self.write

    @property
    def write(self) -> Query:
        """How the sync writes: REST publishes by default (the draft and the published version); with
        `publish: editor` it writes the draft only and editors publish."""
        return (("status", "draft"),) if self.draft_and_publish and self.publish == "editor" else ()

    @property
    def delete(self) -> Query:
        """How the sync deletes: every locale of the document (REST deletes the default locale only)."""
        return (("locale", "*"),) if self.localized else ()

    @property
    def unpublishes(self) -> bool:
        """Whether a row gone from Medusa unpublishes its entry (in every locale) instead of deleting it."""
        return self.draft_and_publish and self.on_delete == "unpublish"

    @property
    def plain(self) -> bool:
        """One row per document: neither Draft & Publish nor locales."""
        return not (self.draft_and_publish or self.localized)


PLAIN = EntryVersions()
