"""A change sensor's bookkeeping between ticks: in-flight runs, back-off, broken types."""

from datetime import datetime, timedelta, timezone

from pipelines.sync.tick import TickState, backoff

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TYPES = ["currency", "product", "product-variant"]


def test_a_type_in_flight_is_not_launched_again_until_its_run_finishes():
    state = TickState().launch("L1", ["product"], NOW)
    assert state.launchable(TYPES, NOW) == ["currency", "product-variant"]
    assert state.settle({}, NOW + timedelta(seconds=10)) == state  # still running
    done = state.settle({"L1": True}, NOW + timedelta(seconds=10))
    assert done.in_flight == {} and done.launchable(TYPES, NOW) == TYPES


def test_failed_runs_back_off_exponentially_and_a_success_clears_it():
    state = TickState()
    for failures, wait in ((1, 30), (2, 60), (3, 120)):
        state = state.launch(f"L{failures}", ["product"], NOW).settle({f"L{failures}": False}, NOW)
        assert state.backoff["product"].failures == failures
        assert "product" not in state.launchable(TYPES, NOW + timedelta(seconds=wait - 1))
        assert "product" in state.launchable(TYPES, NOW + timedelta(seconds=wait))
    assert backoff(20) == timedelta(minutes=15)
    state = state.launch("L9", ["product"], NOW).settle({"L9": True}, NOW)
    assert "product" not in state.backoff


def test_a_launch_that_never_appears_is_given_up_and_backed_off():
    state = TickState().launch("L1", ["product"], NOW)
    assert state.settle({}, NOW + timedelta(minutes=16)).in_flight == {}
    assert state.settle({"L1": None}, NOW + timedelta(seconds=5)).backoff["product"].failures == 1


def test_broken_types_wait_and_the_state_reads_in_words():
    state = TickState().validated({"product": "product.yaml:12: fields.subtitle: no column 'sub_title'"}, NOW)
    assert state.launchable(TYPES, NOW) == ["currency", "product-variant"]
    assert not state.validation_due(NOW + timedelta(minutes=4)) and state.validation_due(NOW + timedelta(minutes=5))
    text = state.launch("abcdef123", ["currency"], NOW).describe(NOW)
    assert "in flight since 12:00:00 UTC: currency" in text and "not launched (product): product.yaml:12" in text


def test_round_trip_and_unreadable_state():
    state = TickState().launch("L1", ["product"], NOW).validated({"x": "why"}, NOW)
    assert TickState.from_json(state.to_json()) == state
    for text in (None, "", "nope", "[]", '{"in_flight": {"L": {}}}'):
        assert TickState.from_json(text) == TickState()


def test_a_change_of_the_mapping_files_makes_the_validation_due_at_once_both_ways():
    state = TickState().validated({}, NOW, digest="clean")
    assert not state.validation_due(NOW + timedelta(seconds=5), "clean")
    assert state.validation_due(NOW + timedelta(seconds=5), "typo")  # a typo: checked on the next tick
    broken = state.validated({"product": "product.yaml:3: tabel: unknown key"}, NOW, digest="typo")
    assert not broken.validation_due(NOW + timedelta(seconds=5), "typo")
    assert broken.validation_due(NOW + timedelta(seconds=5), "clean")  # and its fix, as soon
    assert TickState.from_json(broken.to_json()) == broken
