from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronwright import domain
from cronwright.planning.overlap import RUN, WAIT, Candidate, Sibling, Verdict, decide

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
Policy = domain.OverlapPolicy
State = domain.RunState


def sibling(
    run_id: int, state: State, *, minute: int, attempt: int | None = None, due: bool = True
) -> Sibling:
    at = T0 + minute * MINUTE
    return Sibling(
        id=domain.RunId(run_id),
        state=state,
        scheduled_for=at,
        available_at=at if due else T0 + timedelta(hours=1),
        attempt=(1 if state is State.RUNNING else 0) if attempt is None else attempt,
    )


CANDIDATE = Candidate(id=domain.RunId(10), scheduled_for=T0 + 10 * MINUTE)
NOW = T0 + 10 * MINUTE
RUNNING = sibling(1, State.RUNNING, minute=0)
RETRYING = sibling(2, State.PENDING, minute=1, attempt=1, due=False)
WAITING = sibling(3, State.PENDING, minute=5)


def test_allow_always_runs() -> None:
    assert decide(Policy.ALLOW, CANDIDATE, [RUNNING, WAITING], now=NOW) == RUN


def test_skip_runs_when_nothing_is_in_progress() -> None:
    assert decide(Policy.SKIP, CANDIDATE, [], now=NOW) == RUN


def test_skip_skips_while_the_previous_run_runs_or_retries_and_says_which() -> None:
    lost = Sibling(
        id=domain.RunId(4),
        state=State.RUNNING,
        scheduled_for=T0,
        available_at=T0,
        attempt=1,
        lease_expires_at=NOW - timedelta(seconds=5),
    )
    for previous, reason in (
        (RUNNING, "previous run 1 still running"),
        (RETRYING, "previous run 2 waiting to retry after attempt 1 failed"),
        (lost, "previous run 4 lost its worker (lease expired); it will be retried"),
    ):
        decision = decide(Policy.SKIP, CANDIDATE, [previous], now=NOW)
        assert decision.verdict is Verdict.SKIP
        assert decision.reason == reason


def test_buffer_one_waits_behind_a_running_run() -> None:
    assert decide(Policy.BUFFER_ONE, CANDIDATE, [RUNNING], now=NOW) == WAIT


def test_buffer_one_skips_when_one_is_already_waiting() -> None:
    decision = decide(Policy.BUFFER_ONE, CANDIDATE, [RUNNING, WAITING], now=NOW)
    assert decision.verdict is Verdict.SKIP
    assert decision.reason == "run 3 is already waiting for run 1 to finish"


def test_buffer_one_lets_an_older_waiting_run_go_first() -> None:
    assert decide(Policy.BUFFER_ONE, CANDIDATE, [WAITING], now=NOW) == WAIT
    newer = sibling(20, State.PENDING, minute=20)
    assert decide(Policy.BUFFER_ONE, CANDIDATE, [newer], now=NOW) == RUN


def test_buffer_all_waits_for_every_earlier_run() -> None:
    assert decide(Policy.BUFFER_ALL, CANDIDATE, [RUNNING], now=NOW) == WAIT
    assert decide(Policy.BUFFER_ALL, CANDIDATE, [WAITING], now=NOW) == WAIT
    assert decide(Policy.BUFFER_ALL, CANDIDATE, [RETRYING], now=NOW) == WAIT
    assert decide(Policy.BUFFER_ALL, CANDIDATE, [], now=NOW) == RUN


def test_cancel_previous_cancels_the_running_runs_then_runs() -> None:
    decision = decide(Policy.CANCEL_PREVIOUS, CANDIDATE, [RUNNING], now=NOW)
    assert (decision.verdict, decision.cancel) == (Verdict.RUN, (RUNNING.id,))


def test_cancel_previous_never_lets_an_old_slot_cancel_a_newer_one() -> None:
    newer = sibling(20, State.RUNNING, minute=20)
    decision = decide(Policy.CANCEL_PREVIOUS, CANDIDATE, [newer], now=NOW)
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, "superseded by run 20")


def test_cancel_previous_ignores_a_newer_run_that_is_not_due() -> None:
    future = sibling(20, State.PENDING, minute=20, due=False)
    assert decide(Policy.CANCEL_PREVIOUS, CANDIDATE, [future], now=NOW) == RUN


def test_the_candidate_is_not_its_own_sibling() -> None:
    itself = sibling(10, State.PENDING, minute=10)
    assert decide(Policy.BUFFER_ALL, CANDIDATE, [itself], now=NOW) == RUN
