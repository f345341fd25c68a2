"""Every on-chain outcome of a posted result, with the real oracle process: upheld, rejected (and a
corrected result posted), never ruled (frozen, nothing settles), voided after the result timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_world import FaultWorld

from flexunity.oracle.state import StateDB, Step

pytestmark = [pytest.mark.faults, pytest.mark.devnet, pytest.mark.slow]


def posted_and_disputed(world: FaultWorld, state: Path) -> int:
    round_id = world.open_round()
    first = world.run(state, round_id)
    assert first.returncode == 0, first.stderr[-2000:]
    world.dispute(round_id)
    world.pass_window()
    frozen = world.run(state, round_id)  # window over, but disputed: nothing settles
    assert frozen.returncode == 0, frozen.stderr[-2000:]
    assert world.step(state, round_id) is Step.POSTED
    assert not world.events("escrow", "SettlementApplied", roundId=round_id)
    return round_id


def test_an_upheld_result_is_settled(world: FaultWorld, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    round_id = posted_and_disputed(world, state)
    world.rule(round_id, uphold=True)
    done = world.run(state, round_id)
    assert done.returncode == 0, done.stderr[-2000:]
    assert world.step(state, round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"


def test_a_rejected_result_is_cleared_again_and_a_corrected_one_settled(
    world: FaultWorld, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    round_id = posted_and_disputed(world, state)
    world.rule(round_id, uphold=False)
    again = world.run(state, round_id)
    assert again.returncode == 0, again.stderr[-2000:]
    posts = world.events("clearing", "ResultPosted", roundId=round_id)
    assert len(posts) == 2
    hashes = ["0x" + bytes(p["args"]["result"]["documentHash"]).hex() for p in posts]
    assert hashes[0] != hashes[1]
    assert world.community.store.get_json(hashes[1])["attempt"] == 2
    world.pass_window()
    done = world.run(state, round_id)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = StateDB(state).get(round_id)
    assert saved is not None and saved.step is Step.DONE and saved.data["rejected_results"] == [hashes[0]]
    assert world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"


def test_a_dispute_never_ruled_keeps_the_round_frozen(world: FaultWorld, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    round_id = posted_and_disputed(world, state)
    world.pass_window()
    world.pass_window()
    for _ in range(2):
        waiting = world.run(state, round_id)
        assert waiting.returncode == 0, waiting.stderr[-2000:]
    assert world.step(state, round_id) is Step.POSTED and world.posts(round_id) == 1
    assert not world.events("escrow", "SettlementApplied", roundId=round_id)
    # these contracts give a dispute no ruling deadline: the audit fails the frozen round, and says why
    assert (
        world.audit(round_id)
        == "FAIL ['result.posted: the result is disputed: settlement is frozen or void']"
    )


def test_a_round_voided_after_its_timeout_is_closed(world: FaultWorld, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    timeout = world.chain.clients.clearing.config().result_timeout
    from flexunity.chain.node import advance_time

    advance_time(world.w3, timeout + 1)
    clearing = world.chain.clients.clearing
    void = clearing.contract.functions.voidRound(round_id, clearing.round_result(round_id).as_tuple())
    world.chain.sender.transact(void, "void the round")
    closed = world.run(state, round_id)
    assert closed.returncode == 0, closed.stderr[-2000:]
    assert world.step(state, round_id) is Step.VOIDED and world.posts(round_id) == 0
    assert world.audit(round_id) == "PASS"
