"""The node's clock goes back: anvil restarted from ``--state`` keeps its blocks but loses the
``evm_increaseTime`` offset, so its next block is stamped with the wall clock, before the gate closure
(or the end of the challenge window) that the oracle already saw pass. The oracle must wait and send
nothing, then carry on once the chain's time passes those instants again; the round settles once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_world import FaultWorld, make_fault_world

from flexunity.chain.devnet import start_anvil
from flexunity.chain.node import advance_time
from flexunity.demo.prepare import private_chain_id
from flexunity.oracle.state import Step

pytestmark = [pytest.mark.faults, pytest.mark.devnet, pytest.mark.slow]


@pytest.fixture(scope="module")
def reloadable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultWorld]:
    out = tmp_path_factory.mktemp("clock")
    node = start_anvil(chain_id=private_chain_id(), state=out / "anvil-state.json")
    world = make_fault_world(node, out)
    try:
        yield world
    finally:
        world.stop_watchers()
        world.proxy.close()
        world.node.stop()


def restart_from_state(world: FaultWorld) -> int:
    """Stop anvil (it writes its state) and start it again from that state on the same port; then mine
    one block, as any transaction would: its time is the wall clock, before the chain's last one.
    Returns the chain's time before the restart."""
    old = world.node
    before = world.chain.now()
    old.stop()
    world.node = start_anvil(chain_id=old.chain_id, state=old_state(old), port=old.port)
    provider: Any = world.w3.provider
    provider.make_request("evm_mine", [])
    assert world.chain.now() < before, "the restarted anvil's clock did not go back"
    return before


def catch_up(world: FaultWorld, before: int) -> None:
    """Move the chain's clock past where it was before the restart."""
    advance_time(world.w3, before - world.chain.now() + 1)


def old_state(node: Any) -> Path:
    return Path(node.process.args[node.process.args.index("--state") + 1])


def test_a_clock_gone_back_after_a_restart_from_state_is_waited_out(
    reloadable: FaultWorld, tmp_path: Path
) -> None:
    world = reloadable
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    stopped = world.run(state, round_id, crash="DOCUMENT_STORED")  # the gate seen closed, not posted
    assert stopped.returncode == 137, stopped.stderr[-2000:]

    before = restart_from_state(world)  # now before the gate closure again
    waiting = world.run(state, round_id)
    assert waiting.returncode == 0, waiting.stderr[-2000:]
    assert "clock went back" in waiting.stderr and "revert" not in waiting.stderr, waiting.stderr[-2000:]
    assert world.step(state, round_id) is Step.DOCUMENT_STORED and world.posts(round_id) == 0

    catch_up(world, before)
    assert world.run(state, round_id).returncode == 0
    assert world.step(state, round_id) is Step.POSTED and world.posts(round_id) == 1

    world.pass_window()
    stopped = world.run(state, round_id, crash="WINDOW_PASSED")  # the window seen over, not settled
    assert stopped.returncode == 137, stopped.stderr[-2000:]
    before = restart_from_state(world)  # now inside the challenge window again
    waiting = world.run(state, round_id)
    assert waiting.returncode == 0, waiting.stderr[-2000:]
    assert "clock went back" in waiting.stderr and "revert" not in waiting.stderr, waiting.stderr[-2000:]
    assert world.step(state, round_id) is Step.WINDOW_PASSED
    assert not world.events("escrow", "SettlementApplied", roundId=round_id)

    catch_up(world, before)
    done = world.run(state, round_id)
    assert done.returncode == 0, done.stderr[-2000:]
    assert world.step(state, round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"
