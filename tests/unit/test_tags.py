"""Run tags short enough to read in the runs list, and a launch id the change sensor still finds its run by."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from dagster import DagsterInstance, asset, build_sensor_context, materialize

from assets.naming import TAG_LAUNCH
from assets.sensors import _outcomes
from assets.tags import content_types_tag, new_launch_id
from pipelines.mapping import load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR
from pipelines.sync.tick import TickState

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("names, tag", [
    (["product"], "product"),
    (["currency", "region", "product"], "currency, region, product"),
    (["currency", "region", "product", "product-variant"], "currency, region, product +1 more"),
])
def test_the_content_types_tag_names_three_types_at_most(names, tag):
    assert content_types_tag(names) == tag
    assert content_types_tag(iter(names)) == tag  # the sensor passes a dict of the changed types


def test_every_mapped_type_fits_in_a_short_tag():
    names = load_mappings(SHIPPED_MAPPINGS_DIR).content_types
    assert len(names) == 19
    tag = content_types_tag(names)
    assert tag.endswith(" +16 more") and len(tag) < 60, tag


def test_a_launch_id_is_short_and_reads_as_the_ticks_utc_time():
    launch = new_launch_id(NOW)
    assert re.fullmatch(r"20261125-120000-[0-9a-f]{4}", launch) and len(launch) == 20
    assert new_launch_id(NOW.astimezone(timezone(timedelta(hours=2)))).startswith("20261125-120000-")  # always UTC
    assert new_launch_id(NOW + timedelta(seconds=1)).startswith("20261125-120001-")  # one launch per tick: unique


def test_the_sensor_finds_the_run_of_a_short_launch_id():
    @asset
    def synced():
        return None

    instance = DagsterInstance.ephemeral()
    ours, other = new_launch_id(NOW), new_launch_id(NOW + timedelta(seconds=5))
    materialize([synced], instance=instance, tags={TAG_LAUNCH: ours})
    state = TickState().launch(ours, ["product"], NOW).launch(other, ["currency"], NOW)
    assert _outcomes(build_sensor_context(instance=instance), state) == {ours: True}  # `other` not started yet
