"""The one extractor: a window of a mapping's Medusa rows as Records, a chunk at a time, read and transformed
ahead of the caller (the forward sync, a reconcile's second look, the benchmark)."""

from __future__ import annotations

from typing import Iterator

from ..mapping import MappingSpec
from ..medusa.source import DEFAULT_CHUNK_SIZE, FULL, MedusaSource, Window
from .read_ahead import read_ahead
from .transform import Record, transform


def extracted_records(source: MedusaSource, spec: MappingSpec, window: Window = FULL,
                      chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[list[Record]]:
    """The window's rows as Records, a chunk at a time, in two stages ahead of the caller: one thread
    fetches the next chunk (waiting on Postgres, so the two overlap) while another transforms the last."""
    rows = read_ahead(source.iter_chunks(spec, window, chunk_size), name=f"read-{spec.content_type}")
    return read_ahead((transform(chunk, spec) for chunk in rows), name=f"transform-{spec.content_type}")
