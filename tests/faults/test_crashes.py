"""SIGKILL-like deaths of the real oracle process at every persisted step, revenue included.

``FLEXUNITY_ORACLE_CRASH_AT=STEP`` makes the process die with ``os._exit(137)`` (no cleanup, no
flush: what ``kill -9`` does) right after STEP is saved; ``POSTED:sent`` and ``REVENUE:sent`` die
after the transaction is mined but before the step is saved. One round goes through every kill
point in turn, each restart continuing from the last saved step; then the chain is asked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_world import FaultWorld, wait_for

from flexunity.oracle.state import Step

pytestmark = [pytest.mark.faults, pytest.mark.devnet, pytest.mark.slow]

ROUND_KILLS = ["GATE_CLOSED", "ORDERS_VERIFIED", "CLEARED", "DOCUMENT_STORED", "POSTED:sent"]
AFTER_WINDOW = ["WINDOW_PASSED", "SETTLING:debits", "SETTLED"]
REVENUE_KILLS = ["REVENUE:PLANNED", "REVENUE:sent", "REVENUE:CREATED"]


def test_killed_at_every_step_the_round_and_its_revenue_happen_once(
    world: FaultWorld, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    for point in ROUND_KILLS:
        killed = world.run(state, round_id, crash=point)
        assert killed.returncode == 137, (point, killed.stderr[-2000:])
    again = world.run(state, round_id)
    assert again.returncode == 0, again.stderr[-2000:]
    assert world.step(state, round_id) is Step.POSTED and world.posts(round_id) == 1
    world.pass_window()
    for point in AFTER_WINDOW:
        killed = world.run(state, round_id, crash=point)
        assert killed.returncode == 137, (point, killed.stderr[-2000:])
    done = world.run(state, round_id)
    assert done.returncode == 0, done.stderr[-2000:]
    assert world.step(state, round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)

    for point in REVENUE_KILLS:
        killed = world.revenue(state, round_id, crash=point)
        assert killed.returncode == 137, (point, killed.stderr[-2000:])
    finished = world.revenue(state, round_id)
    assert finished.returncode == 0, finished.stderr[-2000:]
    (distribution,) = world.distributions(round_id)
    world.claim_all(distribution)
    assert world.revenue(state, round_id).returncode == 0  # once more: nothing new
    assert world.distributions(round_id) == [distribution]
    claimed = world.events("revenue", "Claimed", distributionId=distribution)
    assert len({e["args"]["index"] for e in claimed}) == len(claimed) > 0
    assert world.audit(round_id) == "PASS"


def test_a_lost_state_file_is_rebuilt_from_the_chain_and_the_store(world: FaultWorld, tmp_path: Path) -> None:
    round_id = world.open_round()
    first = world.run(tmp_path / "a.sqlite", round_id)
    assert first.returncode == 0, first.stderr[-2000:]
    world.pass_window()
    rebuilt = world.run(tmp_path / "new-disk.sqlite", round_id)  # the first disk is gone
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert world.step(tmp_path / "new-disk.sqlite", round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.revenue(tmp_path / "a.sqlite", round_id).returncode == 0
    assert world.revenue(tmp_path / "new-disk.sqlite", round_id).returncode == 0  # finds it on chain
    assert len(world.distributions(round_id)) == 1
    assert world.audit(round_id) == "PASS"


def test_killed_with_the_post_unmined_the_restart_waits_for_it(world: FaultWorld, tmp_path: Path) -> None:
    """The post is broadcast, not mined (anvil's automine off), and the process dies: the restarted
    oracle lets it land before looking again, and does not send a second, reverting post."""
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    provider = world.w3.provider
    cm = world.community.roles.cm.address
    sent_before = world.w3.eth.get_transaction_count(cm)
    provider.make_request("evm_setAutomine", [False])
    try:
        killed = world.run(state, round_id, crash="POSTED:broadcast")
        assert killed.returncode == 137, killed.stderr[-2000:]
        assert world.posts(round_id) == 0  # still in the pool
        again = world.run(state, round_id)  # waits for it (mines it by hand after 5 s on anvil)
    finally:
        provider.make_request("evm_setAutomine", [True])
    assert again.returncode == 0, again.stderr[-2000:]
    assert world.step(state, round_id) is Step.POSTED and world.posts(round_id) == 1
    assert world.w3.eth.get_transaction_count(cm) == sent_before + 1  # the one post, no second one
    world.pass_window()
    assert world.run(state, round_id).returncode == 0
    assert world.applied_once(round_id) and world.audit(round_id) == "PASS"


def test_real_sigkills_at_seeded_moments_of_a_watching_oracle(world: FaultWorld, tmp_path: Path) -> None:
    """``kill -9`` itself (not the crash points), at seeded moments, until the round is done."""
    import random
    import signal
    import time

    rng = random.Random(13)
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    kills = 0
    for attempt in range(6):
        if world.step(state, round_id) is Step.DONE:
            break
        if world.step(state, round_id) is Step.POSTED and not world.chain.view(round_id).finalized:
            world.pass_window()
        log = tmp_path / f"oracle-{attempt}.log"
        oracle = world.watch(state, round_id, log)
        wait_for(lambda log=log: log.stat().st_size > 0, 120, "the oracle started")  # imports take seconds
        time.sleep(rng.uniform(0.0, 8.0))
        oracle.send_signal(signal.SIGKILL)
        oracle.wait(20)
        kills += 1
    for _ in range(2):  # then left alone: it finishes what the killed ones started
        if world.step(state, round_id) is Step.POSTED:
            world.pass_window()
        finished = world.run(state, round_id)
        assert finished.returncode == 0, finished.stderr[-2000:]
    assert kills >= 1 and world.step(state, round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"
