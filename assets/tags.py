"""Values of the runs' tags, short enough to read in Dagster's runs list (the tag names are in `naming`)."""

import secrets
from collections.abc import Iterable
from datetime import datetime, timezone

LISTED = 3  # content types named in the tag; the run's asset selection (and its run config) has them all


def content_types_tag(names: Iterable[str]) -> str:
    """The content types a run syncs: `currency, region, product` for up to three, then `+N more`."""
    names = list(names)
    shown = ", ".join(names[:LISTED])
    return f"{shown} +{len(names) - LISTED} more" if len(names) > LISTED else shown


def new_launch_id(moment: datetime) -> str:
    """The change sensor's id of one launch, which it finds the run by (tag and run key), e.g.
    `20261125-120000-3fa9`: the tick's UTC time to the second, unique for one sensor (one launch per tick,
    ticks at least a second apart), and 4 random hex digits apart sensors of several code locations that
    share an instance and launch in the same second."""
    return f"{moment.astimezone(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
