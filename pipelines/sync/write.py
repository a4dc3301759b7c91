"""Sending one planned write to Strapi and turning its outcome into a counter or a row failure."""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ..secrets import describe_error, redact
from ..strapi.bulk import BulkClient, EntryOutcome, batches
from ..strapi.client import PER_ITEM_READ_SECONDS, StrapiAuthError, StrapiClient, StrapiError, StrapiUnavailable, encode_json
from ..mapping import MappingSpec
from ..row_failure import RowFailure
from .result import SyncResult

COUNTERS = {"create": "created", "update": "updated", "delete": "deleted"}
# 4xx that say nothing about the row itself: retried by the next run rather than quarantined
TRANSIENT_CLIENT_ERRORS = frozenset({401, 403, 404, 408, 409, 423, 425, 429})


def is_permanent(status: int) -> bool:
    """Whether Strapi's answer condemns the row (a 4xx about its data) rather than the moment (5xx, 429...)."""
    return 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS


@dataclass
class Write:
    """One create (no document_id), update or delete of an entry."""

    medusa_id: str
    action: Literal["create", "update", "delete"]
    data: dict[str, Any]
    document_id: str | None = None
    recount: bool = True  # False for the second write of an entry already counted in this run
    base: Any = None  # the merge base (`merge.Base`) to record once this write went through (two-way types)
    locale: str | None = None  # an update of another locale than the default one (localized types)


class Writer:
    """Sends writes of one content type (thread-safe); a dry run only records samples.

    Once a write finds Strapi unreachable or the token refused, the writes still queued are skipped, so a
    run that cannot go on stops at once instead of timing out write by write. `slots`, shared by the types a
    sync runs at once, caps their REST writes in flight together (Strapi gains nothing past four).
    """

    def __init__(self, client: StrapiClient, spec: MappingSpec, result: SyncResult, *, dry_run: bool = False,
                 slots: threading.Semaphore | None = None):
        self.client = client
        self.plural = spec.plural
        self.key = spec.key
        self.versions = versions = spec.strapi  # which rows of a document it writes (Draft & Publish, locales)
        # REST has no unpublish: the bulk-upsert plugin's batch does it (a batch of one delete, `onDelete: unpublish`;
        # a batch of deletes names no key)
        self.unpublisher = BulkClient(client) if versions.unpublishes else None
        self.result = result
        self.dry_run = dry_run
        self.slots = slots
        self.stopped = threading.Event()

    def send(self, write: Write) -> str | RowFailure | None:
        """The counter to bump ("created", ...), the row's failure, or None (already counted).

        A wrong token or an unreachable Strapi raises (the run stops); anything else fails this row only.
        """
        counter = COUNTERS[write.action]
        if self.dry_run:
            self.result.sample(write.action, write.medusa_id)
            return counter if write.recount else None
        try:
            with self.slots or nullcontext():
                if self.stopped.is_set():  # the run is stopping (checked once this write holds its slot)
                    return None
                return self._send(write, counter)
        except (StrapiAuthError, StrapiUnavailable):
            self.stopped.set()
            raise
        except StrapiError as exc:
            return RowFailure(write.medusa_id, write.action, f"{exc.status}: {redact(exc.message)}",
                              permanent=is_permanent(exc.status))
        except Exception as exc:  # noqa: BLE001 - e.g. a value the JSON encoder refuses: this row fails, not the run
            return RowFailure(write.medusa_id, write.action, describe_error(exc), permanent=True)

    def _send(self, write: Write, counter: str) -> str | None:
        if write.action == "delete":
            if self.unpublisher is not None:
                self.unpublisher.write(self.plural, [], [write.document_id], self.versions)
            else:
                self.client.delete(self.plural, write.document_id, query=self.versions.delete)
            return counter
        if write.action == "update":
            self.client.update(self.plural, write.document_id, write.data, query=self.versions.write_in(write.locale))
            return counter if write.recount else None
        data = {k: v for k, v in write.data.items() if k != self.key}
        return self.client.create_by(self.plural, self.key, write.medusa_id, data, versions=self.versions)


BULK_COUNTERS = {"created": "created", "updated": "updated", "deleted": "deleted", "missing": "deleted"}


class BatchWriter:
    """Sends a chunk's writes to the bulk-upsert plugin, a batch per request and transaction.

    An entry the plugin refuses fails alone (quarantined when permanent, as over REST); a batch rolled
    back as a whole (a database error) is written again entry by entry over REST by `rest`, so one bad
    row costs its batch one slow pass, never a lost or duplicated entry.
    """

    def __init__(self, bulk: BulkClient, rest: Writer, log: logging.Logger | object, per_entry: float = PER_ITEM_READ_SECONDS):
        self.bulk = bulk
        self.rest = rest
        self.log = log
        self.per_entry = per_entry  # seconds an answer may take per entry it carries

    def send_all(self, writes: list[Write]) -> list[str | RowFailure | None]:
        """The outcome of each write, in the order of `writes`, as `Writer.send` reports it (None also for writes
        skipped because the run is stopping). Each entry is encoded once, to size its batch and to send it; one
        that cannot be encoded (NaN, say) fails alone."""
        outcomes: list[str | RowFailure | None] = [None] * len(writes)
        encoded: list[Encoded] = []
        for index, write in enumerate(writes):
            if write.locale is not None:  # another locale of an entry: REST writes one locale (its key is the batch's once)
                outcomes[index] = self.rest.send(write)
                continue
            if write.action == "delete":
                encoded.append(Encoded(write, None, len(write.document_id or "") + 3, index))
                continue
            try:
                body = encode_json({**write.data, self.bulk.key: write.medusa_id})
            except (TypeError, ValueError) as exc:
                outcomes[index] = RowFailure(write.medusa_id, write.action, describe_error(exc), permanent=True)
                continue
            encoded.append(Encoded(write, body, len(body), index))
        for batch in batches(encoded, size_of=lambda item: item.size):
            if self.rest.stopped.is_set():
                break
            for item, outcome in zip(batch, self._send_batch(batch)):
                outcomes[item.index] = outcome
        return outcomes

    def _send_batch(self, batch: list[Encoded]) -> list[str | RowFailure | None]:
        """The outcome of each item of `batch`, in its order."""
        upserts = [item for item in batch if item.body is not None]
        deletes = [item for item in batch if item.body is None]
        try:
            results, deleted = self.bulk.write_encoded(self.rest.plural, [item.body for item in upserts],
                                                       [item.write.document_id for item in deletes], self.rest.versions,
                                                       self.per_entry)
        except (StrapiAuthError, StrapiUnavailable):
            self.rest.stopped.set()
            raise
        except Exception as exc:  # noqa: BLE001 - rolled back (or never sent): each write goes again over REST
            self.log.warning(f"{self.rest.plural}: a batch of {len(batch)} was not written ({describe_error(exc)}); "
                             "writing it entry by entry over REST")
            return [self.rest.send(item.write) for item in batch]
        by_item = {id(item): _outcome(item.write, r) for item, r in zip(upserts, results)}
        by_item.update({id(item): _outcome(item.write, r) for item, r in zip(deletes, deleted)})
        return [by_item.get(id(item)) for item in batch]


class Encoded(NamedTuple):
    """A write with its entry as the plugin receives it (None for a delete), and its size in a batch."""

    write: Write
    body: bytes | None
    size: int
    index: int  # its place among the writes `send_all` was given


def _outcome(write: Write, outcome: EntryOutcome) -> str | RowFailure | None:
    if outcome.status == "error":
        status = outcome.error_status or 400
        return RowFailure(write.medusa_id, write.action, f"{status}: {redact(outcome.error or '')}", permanent=is_permanent(status))
    counter = BULK_COUNTERS[outcome.status]
    return counter if write.recount or counter == "deleted" else None
