"""The Dagster assets, materialized in-process against the real stack."""

from __future__ import annotations

from dagster import DagsterInstance, materialize

from assets.naming import strapi_key
from assets.sync import build_sync_assets
from assets.resources import MedusaDatabase, StrapiResource

from .helpers import assert_in_sync


def materialize_all(mappings, medusa_url, stack, instance):
    return materialize(
        build_sync_assets(mappings),
        resources={
            "medusa": MedusaDatabase(url=medusa_url),
            "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"]),
        },
        instance=instance,
    )


def counts(result, content_type):
    (materialization,) = [
        e.materialization for e in result.get_asset_materialization_events() if e.asset_key == strapi_key(content_type)
    ]
    return {k: v.value for k, v in materialization.metadata.items() if k in ("read", "created", "updated", "unchanged", "failed")}


def test_materialize_syncs_then_is_idempotent_then_updates(mappings, medusa_url, stack, clean_strapi, source, medusa_sql):
    with DagsterInstance.ephemeral() as instance:
        first = materialize_all(mappings, medusa_url, stack, instance)
        assert first.success
        product = counts(first, "product")
        assert product["created"] == product["read"] > 0 and product["failed"] == 0
        assert_in_sync(source, clean_strapi, mappings)

        second = materialize_all(mappings, medusa_url, stack, instance)
        for content_type in mappings.content_types:
            c = counts(second, content_type)
            assert (c["created"], c["updated"], c["unchanged"]) == (0, 0, c["read"])

        medusa_sql("update product_variant set title = 'Changed via Medusa', updated_at = now() where id = (select min(id) from product_variant where deleted_at is null)")
        third = materialize_all(mappings, medusa_url, stack, instance)
        assert counts(third, "product-variant")["updated"] == 1
        assert_in_sync(source, clean_strapi, mappings)


def test_failed_rows_fail_the_asset_with_figures(mappings, medusa_url, stack, clean_strapi):
    # only the product asset, on an empty Strapi: products in a collection cannot be linked
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            build_sync_assets(mappings),
            selection=[strapi_key("product")],
            resources={
                "medusa": MedusaDatabase(url=medusa_url),
                "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"]),
            },
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "row(s) of product failed" in failure.event_specific_data.error.message or "product" in str(failure)


def test_a_prefixed_component_instance_syncs_the_demo_catalog(mappings, medusa_url, stack, clean_strapi, source, monkeypatch):
    """A `MedusaStrapiSync` defs.yaml as a data team writes one (its connection settings read from variables of its
    own): its reconcile job, run in-process, fills Strapi under the prefixed asset keys."""
    from pathlib import Path

    from assets.component import MedusaStrapiSync

    monkeypatch.setenv("SHOP_A_MEDUSA_DATABASE_URL", medusa_url)
    monkeypatch.setenv("SHOP_A_STRAPI_URL", stack["STRAPI_URL"])
    monkeypatch.setenv("SHOP_A_STRAPI_API_TOKEN", stack["STRAPI_API_TOKEN"])
    component = MedusaStrapiSync.resolve_from_yaml(
        'mappings: medusa-v1\nmedusa_database_url: "{{ env.SHOP_A_MEDUSA_DATABASE_URL }}"\n'
        'strapi_url: "{{ env.SHOP_A_STRAPI_URL }}"\nstrapi_api_token: "{{ env.SHOP_A_STRAPI_API_TOKEN }}"\nkey_prefix: shop_a\n')
    defs = component.definitions(Path("/nowhere"))
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("shop_a_reconcile").execute_in_process(instance=instance)
        assert result.success
        keys = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {strapi_key(t).with_prefix("shop_a") for t in mappings.content_types} <= keys
    assert_in_sync(source, clean_strapi, mappings)
