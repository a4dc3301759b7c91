"""Freshness checks evaluated without a run: what is due, and the verdict (pure), and the sensor that reports
them from the instance's materializations (a command line's recorded ones included)."""

from datetime import timedelta

from dagster import AssetMaterialization, DagsterInstance, build_sensor_context

from assets.freshness import Freshness, build_freshness_sensor, verdict
from assets.naming import CHECK_FRESHNESS, strapi_key

DAY = timedelta(hours=26)


def test_the_verdict_holds_until_the_age_runs_out():
    assert verdict(None, 1000.0, DAY).passed is False
    fresh = verdict(1000.0, 1000.0 + DAY.total_seconds() - 1, DAY)
    assert fresh.passed and fresh.fresh_until == 1000.0 + DAY.total_seconds()
    assert not verdict(1000.0, 1000.0 + DAY.total_seconds(), DAY).passed


def test_a_type_is_due_when_new_materialized_or_run_out_and_not_again_otherwise():
    memory, verdicts = Freshness().evaluate(["product", "currency"], {"product": 100.0, "currency": None}, 200.0, DAY)
    assert verdicts["product"].passed and not verdicts["currency"].passed
    assert memory.due({"product": 100.0, "currency": None}, 300.0) == []  # nothing new: no evaluation, no event
    assert memory.due({"product": 500.0, "currency": None}, 600.0) == ["product"]  # synced again
    assert memory.due({"product": 100.0, "currency": 700.0}, 800.0) == ["currency"]  # synced for the first time
    assert memory.due({"product": 100.0, "currency": None}, 100.0 + DAY.total_seconds()) == ["product"]  # too old now
    assert Freshness.from_json(memory.to_json()) == memory
    for text in (None, "", "[]", "nope", '{"product": 3}'):
        assert Freshness.from_json(text) == Freshness()


def test_the_sensor_reports_a_recorded_materialization_as_fresh_without_a_run():
    with DagsterInstance.ephemeral() as instance:
        sensor = build_freshness_sensor(["product", "currency"], DAY)
        instance.report_runless_asset_event(AssetMaterialization(strapi_key("product")))
        result = sensor(build_sensor_context(instance=instance))
        by_key = {e.asset_key: e for e in result.asset_events}
        assert by_key[strapi_key("product")].passed and by_key[strapi_key("product")].check_name == CHECK_FRESHNESS
        assert not by_key[strapi_key("currency")].passed  # never synced
        assert not result.run_requests
        again = sensor(build_sensor_context(instance=instance, cursor=result.cursor))
        assert not again.asset_events  # nothing new since
        assert instance.get_runs() == []
