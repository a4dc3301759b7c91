"""Which way a run writes to Strapi, and reads its entries back: through the bulk-upsert plugin (a request per
thousand entries) where it is installed and takes the type, or over REST (a request per entry, pages of 100)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

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

    def find(self, spec: MappingSpec, medusa_ids: Iterable[str], **selection: Any) -> dict[str, dict[str, Any]]:
        """Entries of the type `spec` maps, by their key: one request per few thousand through the plugin, else REST
        pages of 100 (always for a type with several rows per entry, read in the version its `strapi` names)."""
        if self.batch_writer is not None and spec.strapi.plain:
            return self.batch_writer.bulk.find(spec.plural, medusa_ids, key=spec.key, **selection)
        return self.client.find_by(spec.plural, spec.key, medusa_ids, query=spec.strapi.read, **selection)

    def keys(self, spec: MappingSpec) -> Iterator[dict[str, Any]]:
        """Every entry of the type `spec` maps that has a key (documentId and the key only): pages of 20,000
        through the plugin, else REST pages of 100 (always for a type with several rows per entry)."""
        if self.batch_writer is not None and spec.strapi.plain:
            return self.batch_writer.bulk.keys(spec.plural, key=spec.key)
        return self.client.iter_entries(spec.plural, fields=[spec.key], filters=[(f"filters[{spec.key}][$notNull]", "true")],
                                        query=spec.strapi.read)


def choose_write_path(client: StrapiClient, spec: MappingSpec, mode: str, writer: Writer, *, dry_run: bool,
                      chunk_size: int | None, log: logging.Logger | Any) -> WritePath:
    """The plugin for `bulk`, or for `auto` when it is installed and takes this type; else REST (a dry run reads
    over REST). BulkUnavailable when `bulk` was asked for and the plugin is not installed."""
    rest = WritePath("rest", client, None, chunk_size or DEFAULT_CHUNK_SIZE)
    if dry_run or WriteMode(mode) is WriteMode.REST:
        return rest
    bulk = BulkClient(client, key=spec.key)
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
