"""The figures of one content type's run: counts, duration, the first failures (and a dry run's samples)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..row_failure import RowFailure

MAX_REPORTED_FAILURES = 50
MAX_SAMPLES = 5
COUNTS = ("read", "created", "updated", "unchanged", "deleted", "failed", "quarantined")


@dataclass
class SyncResult:
    """Counts of one content type's run."""

    content_type: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    window: str = ""  # what the run covered, in words
    write_path: str = "rest"  # "bulk" when the run wrote through the bulk-upsert plugin
    failures: list[RowFailure] = field(default_factory=list)  # the first few of either kind, for reports
    to_quarantine: list[RowFailure] = field(default_factory=list)  # every permanent failure
    samples: dict[str, list[str]] = field(default_factory=dict)  # dry runs: first medusa_ids per action
    media: dict[str, int] = field(default_factory=dict)  # the media pass: files uploaded, reused, linked, removed...

    def sample(self, action: str, medusa_id: str) -> None:
        """Remember one of the first ids a dry run would create, update or delete."""
        ids = self.samples.setdefault(action, [])
        if len(ids) < MAX_SAMPLES:
            ids.append(medusa_id)

    @property
    def ok(self) -> bool:
        """True when no row failed transiently (quarantined rows do not fail a run)."""
        return self.failed == 0

    @property
    def writes(self) -> int:
        """Writes sent to Strapi (creates, updates, deletes)."""
        return self.created + self.updated + self.deleted

    def counts(self) -> dict[str, int]:
        """The figures every run records."""
        return {k: getattr(self, k) for k in COUNTS}

    def record_failure(self, failure: RowFailure) -> None:
        """Count a failed row (quarantined when permanent), keeping the first few for the report."""
        if failure.permanent:
            self.quarantined += 1
            self.to_quarantine.append(failure)
        else:
            self.failed += 1
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append(failure)

    def summary(self) -> str:
        """One line: the counts and the rate."""
        rate = self.read / self.seconds if self.seconds else 0.0
        counts = " ".join(f"{k}={v}" for k, v in self.counts().items())
        via = " via bulk" if self.write_path == "bulk" else ""
        media = " media: " + " ".join(f"{k}={v}" for k, v in sorted(self.media.items())) if self.media else ""
        return f"{self.content_type}: {counts} in {self.seconds:.1f}s ({rate:.0f} rows/s){via}{media}"
