"""A row that could not be written: what the forward sync, the media pass and the write-back each report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RowFailure:
    """A row that could not be written, with Strapi's (or the resolver's) reason.

    Permanent failures (a value that cannot convert, a row Strapi refuses, a target that is itself
    quarantined) go to the quarantine and do not fail the run; transient ones (Strapi errors after
    retries, a target not in Strapi yet) fail it, so that the next run retries them.
    """

    medusa_id: str
    action: str
    message: str
    permanent: bool = False
