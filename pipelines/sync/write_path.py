"""Which way a run writes to Strapi, and reads its entries back: through the bulk-upsert plugin (a request per
thousand entries) where it is installed and takes the type, or over REST (a request per entry, pages of 100)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..entry_versions import PLAIN, EntryVersions
from ..mapping import MappingSpec
from ..medusa.source import DEFAULT_CHUNK_SIZE
from ..strapi.bulk import BulkClient, BulkUnavailable, WriteMode
from ..strapi.client import StrapiClient
from .write import BatchWriter, Writer

BULK_CHUNK_SIZE = 1000  # rows per chunk through the plugin: one batch each (see docs/performance.md on memory for why not 2000)
# A type with Draft & Publish or locales: the plugin creates its entries itself but updates them through Strapi's
# Document Service, as REST would (~30 ms an entry on 2 cores), so a batch is 250 rows given 0.25 s an entry
DOCUMENT_SERVICE_CHUNK_SIZE = 250
DOCUMENT_SERVICE_SECONDS_PER_ENTRY = 0.25


@dataclass
class WritePath:
    """The chosen path: `batch_writer` None means REST; `chunk_size` rows are read per chunk."""

    name: str  # "bulk" or "rest", as the result shows it
    client: StrapiClient
    batch_writer: BatchWriter | None
    chunk_size: int

    def find(self, plural: str, medusa_ids: Iterable[str], versions: EntryVersions = PLAIN, **selection: Any) -> dict[str, dict[str, Any]]:
        """Entries by medusa_id: one request per few thousand through the plugin, else REST pages of 100 (always
        for a type with several rows per entry, read in the version `versions` names)."""
        if self.batch_writer is not None and versions.plain:
            return self.batch_writer.bulk.find(plural, medusa_ids, **selection)
        return self.client.find_by_medusa_ids(plural, medusa_ids, query=versions.read, **selection)

    def keys(self, plural: str, versions: EntryVersions = PLAIN) -> Iterator[dict[str, Any]]:
        """Every entry with a medusa_id (documentId and medusa_id only): pages of 20,000 through the plugin, else
        REST pages of 100 (always for a type with several rows per entry)."""
        if self.batch_writer is not None and versions.plain:
            return self.batch_writer.bulk.keys(plural)
        return self.client.iter_entries(plural, fields=["medusa_id"], filters=[("filters[medusa_id][$notNull]", "true")],
                                        query=versions.read)


def choose_write_path(client: StrapiClient, spec: MappingSpec, mode: str, writer: Writer, *, dry_run: bool,
                      chunk_size: int | None, log: logging.Logger | Any) -> WritePath:
    """The plugin for `bulk`, or for `auto` when it is installed and takes this type; else REST (a dry run reads
    over REST). BulkUnavailable when `bulk` was asked for and the plugin is not installed."""
    rest = WritePath("rest", client, None, chunk_size or DEFAULT_CHUNK_SIZE)
    if dry_run or WriteMode(mode) is WriteMode.REST:
        return rest
    bulk = BulkClient(client)
    capability = bulk.capability(spec.plural)
    if not capability.installed and WriteMode(mode) is WriteMode.BULK:
        raise BulkUnavailable(f"{spec.content_type}: bulk writes were asked for, but {capability.reason} "
                              "(install strapi-plugin-bulk-upsert, or choose auto or rest)")
    if not capability.writable:
        if capability.installed:
            log.info(f"{spec.content_type}: written over REST: {capability.reason}")
        return rest
    if capability.document_service:
        return WritePath("bulk", client, BatchWriter(bulk, writer, log, DOCUMENT_SERVICE_SECONDS_PER_ENTRY),
                         chunk_size or DOCUMENT_SERVICE_CHUNK_SIZE)
    return WritePath("bulk", client, BatchWriter(bulk, writer, log), chunk_size or BULK_CHUNK_SIZE)
