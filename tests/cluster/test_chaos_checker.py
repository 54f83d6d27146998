"""The fault-injection checker itself: it accepts exactly the outcomes a correct registry may produce."""

from __future__ import annotations

from tests.cluster.chaos import Write, check_entity

E = ("canary", "svc")


def w(value: object, start: float, end: float, outcome: str = "ack") -> Write:
    return Write(E, value, 0, start, end, outcome)


def test_the_last_acknowledged_write_must_win() -> None:
    """Sequential acknowledged writes: only the last one's value is allowed."""
    log = [w("a", 1.0, 1.1), w("b", 2.0, 2.1), w("c", 3.0, 3.1)]
    assert check_entity(E, log, "c", None) is None
    assert check_entity(E, log, "b", None) is not None  # c was acknowledged strictly later: lost
    assert check_entity(E, log, None, None) is not None  # everything lost


def test_overlapping_writes_may_land_in_either_order() -> None:
    """Two writes whose requests overlap in time are concurrent: either value is fine."""
    log = [w("a", 1.0, 1.5), w("b", 1.2, 1.6)]
    assert check_entity(E, log, "a", None) is None
    assert check_entity(E, log, "b", None) is None
    assert check_entity(E, log, "x", None) is not None  # a value nobody wrote


def test_a_write_whose_answer_was_lost_may_or_may_not_count() -> None:
    """An unknown outcome may be the final value, but never hides a later acknowledged write."""
    log = [w("a", 1.0, 1.1), w("u", 2.0, 2.1, "unknown")]
    assert check_entity(E, log, "u", None) is None
    assert check_entity(E, log, "a", None) is None
    log.append(w("c", 3.0, 3.1))
    assert check_entity(E, log, "u", None) is not None


def test_failed_writes_do_not_count_and_the_initial_state_stands_without_acks() -> None:
    """Refused writes never explain a value; with no acknowledged write the initial state is fine."""
    assert check_entity(E, [w("a", 1.0, 1.1, "fail")], None, None) is None
    assert check_entity(E, [w("a", 1.0, 1.1, "fail")], "a", None) is not None
