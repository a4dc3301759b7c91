"""Expected failures fail the step with their message (and metadata) and no stack trace; bugs keep their
stack, in the same run and the next (the suppression does not leak)."""

import sys

import pytest
from dagster import AssetKey, asset, materialize

from assets.backfills import build_history_asset
from assets.failures import ExpectedFailure, UnexpectedError, _NoFrames, failure_for
from assets.naming import strapi_key
from assets.resources import MedusaAdminResource, MedusaDatabase, StrapiResource
from assets.sync import build_sync_assets
from assets.write_back import build_write_back_job
from pipelines.mapping import load_mappings
from pipelines.medusa.source import SourceError
from pipelines.secrets import remember
from pipelines.settings import SHIPPED_MAPPINGS_DIR, Orchestration
from pipelines.strapi.auth import API_TOKEN
from pipelines.strapi.client import StrapiAuthError, StrapiUnavailable

from .fake_http import ScriptedServer

MAPPINGS = load_mappings(SHIPPED_MAPPINGS_DIR)
NO_MEDUSA = "postgresql://postgres@127.0.0.1:9/none"  # a closed port
NO_STRAPI = "http://127.0.0.1:9"
TOKEN = "a-token-of-the-test"


@asset(key=AssetKey(["zz_bug"]))  # its step runs after the sync's (steps of one level run in key order)
def bug():
    raise ValueError("a bug")


def failures(result) -> dict[str, object]:
    """Step key -> the step failure's data, in the order the steps failed."""
    return {e.step_key: e.event_specific_data for e in result.all_events if e.event_type_value == "STEP_FAILURE"}


def sync_run(medusa_url: str, strapi_url: str, *extra):
    return materialize(
        [*build_sync_assets(MAPPINGS), *extra],
        selection=[strapi_key("currency"), *(a.key for a in extra)],
        resources={"medusa": MedusaDatabase(url=medusa_url), "strapi": StrapiResource(url=strapi_url, api_token=TOKEN)},
        raise_on_error=False,
    )


def assert_no_leak():
    assert not hasattr(sys, "tracebacklimit")


def test_an_unreachable_strapi_fails_the_step_with_the_reason_and_no_stack_and_a_bug_after_it_keeps_its_stack():
    result = sync_run(NO_MEDUSA, NO_STRAPI, bug)
    assert not result.success
    failed = failures(result)
    assert list(failed) == ["strapi__currency", "zz_bug"]  # the bug fails after the expected failure
    sync = failed["strapi__currency"]
    assert sync.error.stack == [] and sync.error.cause is None and sync.error.context is None
    assert "currency: StrapiUnavailable" in sync.error.message and "127.0.0.1:9 is unreachable" in sync.error.message
    assert "is unreachable" in sync.user_failure_data.description
    bugged = failed["zz_bug"]
    assert bugged.error.cause.message.startswith("ValueError: a bug") and bugged.error.cause.stack
    assert_no_leak()
    assert failures(materialize([bug], raise_on_error=False))["zz_bug"].error.cause.stack  # and in the next run
    assert_no_leak()


def test_an_unreachable_medusa_fails_the_step_with_the_reason_and_no_stack():
    with ScriptedServer([(200, {}, None)]) as strapi:  # Strapi answers its health check
        result = sync_run(NO_MEDUSA, strapi.url)
    sync = failures(result)["strapi__currency"]
    assert sync.error.stack == [] and "currency: SourceError: cannot connect to Medusa's database" in sync.error.message
    assert_no_leak()


def test_a_bug_in_the_engine_keeps_its_own_stack_and_a_redacted_message(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError(f"token {TOKEN}")

    monkeypatch.setattr("assets.sync.preflight", broken)
    remember(TOKEN)
    sync = failures(sync_run(NO_MEDUSA, NO_STRAPI))["strapi__currency"]
    cause = sync.error.cause
    assert cause.cls_name == "UnexpectedError" and "currency: unexpected KeyError" in cause.message
    assert TOKEN not in cause.message and "***" in cause.message
    assert any("in broken" in frame for frame in cause.stack)  # the bug's own frame, not only the framework's
    assert_no_leak()


def test_the_failure_metadata_is_kept_without_a_stack():
    @asset
    def partly_failed():
        raise ExpectedFailure("2 row(s) of product failed", metadata={"failed": 2})

    (failed,) = failures(materialize([partly_failed, bug], selection=[partly_failed.key], raise_on_error=False)).values()
    assert failed.error.stack == [] and failed.user_failure_data.metadata["failed"].value == 2
    assert "2 row(s) of product failed" in failed.error.message
    assert_no_leak()


def test_backfill_and_write_back_steps_fail_without_a_stack_too():
    spec = MAPPINGS.get("product")
    resources = {"medusa": MedusaDatabase(url=NO_MEDUSA), "strapi": StrapiResource(url=NO_STRAPI, api_token=TOKEN)}
    history = build_history_asset(spec, MAPPINGS, Orchestration())
    result = materialize([history], partition_key="2024-01-01", resources=resources, raise_on_error=False)  # backfill_product
    (failed,) = failures(result).values()
    assert failed.error.stack == [] and "product: StrapiUnavailable" in failed.error.message
    job = build_write_back_job(spec, Orchestration())
    result = job.execute_in_process(resources={**resources, "medusa_admin": MedusaAdminResource()}, raise_on_error=False)
    (failed,) = failures(result).values()
    assert failed.error.stack == [] and "write-back needs MEDUSA_ADMIN_URL" in failed.error.message
    assert_no_leak()


@pytest.mark.parametrize("error", [StrapiUnavailable("Strapi at x is unreachable"), SourceError("no database"),
                                   StrapiAuthError("GET", "/api/products", 401, "Unauthorized")])
def test_the_errors_a_run_expects_become_expected_failures(error):
    failure = failure_for(error, "product")
    assert isinstance(failure, ExpectedFailure) and failure.description.startswith(f"product: {type(error).__name__}: ")


def test_any_other_error_is_a_bug_raised_with_its_own_traceback():
    try:
        {}["missing"]
    except KeyError as exc:
        failure = failure_for(exc, "product")
    assert isinstance(failure, UnexpectedError) and str(failure) == "product: unexpected KeyError: 'missing'"
    assert failure.__traceback__ is not None and failure.__cause__ is None


def test_a_failure_read_or_formatted_outside_dagster_changes_no_limit():
    failure = ExpectedFailure("x", metadata={"a": 1})
    assert failure.metadata["a"].value == 1 and str(failure) == "x"
    try:
        raise failure
    except ExpectedFailure as caught:
        assert caught.description == "x"  # only the metadata read arms it, and str() disarms
    assert_no_leak()


def test_our_own_code_reading_the_metadata_while_handling_the_failure_changes_no_limit():
    try:
        raise ExpectedFailure("x", metadata={"a": 1})
    except ExpectedFailure as caught:
        assert caught.metadata["a"].value == 1  # not Dagster: not armed
    assert_no_leak()


def test_the_limit_stays_0_while_any_failure_holds_it_and_then_is_as_it_was(monkeypatch):
    monkeypatch.setattr(sys, "tracebacklimit", 7, raising=False)
    frames, first, second = _NoFrames(), object(), object()
    frames.hold(first)
    frames.hold(second)
    frames.hold(first)
    frames.release(first)
    frames.release(object())  # never held: changes nothing
    assert sys.tracebacklimit == 0
    frames.release(second)
    assert sys.tracebacklimit == 7


def test_credentials_strapi_refused_are_named_by_their_setting_in_dagster_too():
    refused = StrapiAuthError("GET", "/api/products", 401, "Unauthorized", credentials=API_TOKEN,
                              base_url="http://127.0.0.1:1337", refused=True)
    failure = failure_for(refused, "product")
    assert failure.description.startswith("product: STRAPI_API_TOKEN was refused by Strapi at http://127.0.0.1:1337: ")
    assert "401" in failure.description
