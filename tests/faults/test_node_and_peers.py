"""The node goes away (a TCP proxy between the oracle and anvil is cut), a second oracle starts on
the same deployment (its own state, the same state file, another machine), a fresh node answers with
the manifest's chain id, and the CPU is saturated during a round."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_world import FaultWorld, wait_for

from flexunity.audit import audit_rounds
from flexunity.chain.devnet import start_anvil
from flexunity.errors import ChainError
from flexunity.oracle.state import Step

pytestmark = [pytest.mark.faults, pytest.mark.devnet, pytest.mark.slow]
RETRY_BUDGET_S = 0.5 + 1 + 2 + 4 + 8  # flexunity.chain.rpc: six attempts


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(20)


def test_watch_mode_rides_out_short_and_long_node_outages(world: FaultWorld, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    round_id = world.open_round(close_gate=False)
    oracle = world.watch(state, round_id, tmp_path / "oracle.log")
    try:
        wait_for(lambda: world.step(state, round_id) is Step.OPENED, 120, "the oracle watching the round")
        world.proxy.cut()  # a few seconds, before the gate closes
        time.sleep(4)
        world.proxy.restore()
        world.chain.w3.provider.make_request("evm_increaseTime", [3601])
        world.chain.w3.provider.make_request("evm_mine", [])
        wait_for(lambda: world.step(state, round_id) is Step.POSTED, 120, "the result posted")
        world.proxy.cut()  # longer than the retry budget, across the end of the challenge window
        world.pass_window()
        time.sleep(RETRY_BUDGET_S + 8)
        assert oracle.poll() is None, "the watching oracle gave up"
        world.proxy.restore()
        wait_for(lambda: world.step(state, round_id) is Step.DONE, 180, "the round settled")
        assert oracle.poll() is None
    finally:
        stop(oracle)
        world.proxy.restore()
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"


def test_once_mode_gives_up_on_a_dead_node_and_resumes_later(world: FaultWorld, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    round_id = world.open_round()
    world.proxy.cut()
    try:
        dead = world.run(state, round_id)
    finally:
        world.proxy.restore()
    assert dead.returncode == 4 and "Traceback" not in dead.stderr, dead.stderr[-2000:]
    assert world.posts(round_id) == 0
    assert world.run(state, round_id).returncode == 0
    world.pass_window()
    assert world.run(state, round_id).returncode == 0
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"


def test_a_second_oracle_is_refused_and_two_machines_post_once(world: FaultWorld, tmp_path: Path) -> None:
    round_id = world.open_round(close_gate=False)
    first = world.watch(tmp_path / "a.sqlite", round_id, tmp_path / "a.log")
    try:
        time.sleep(1)
        wait_for(lambda: (tmp_path / "a.sqlite.lock").exists(), 60, "the first oracle's lock")
        time.sleep(3)
        own = world.run(tmp_path / "b.sqlite", round_id)  # its own state, same machine and deployment
        shared = world.run(tmp_path / "a.sqlite", round_id, lock_dir=tmp_path / "other")  # same state file
        assert own.returncode == 6 and shared.returncode == 6, (own.stderr[-800:], shared.stderr[-800:])
    finally:
        stop(first)
    # two machines (own locks, own state files) racing on the same round: one post, each leaf once
    world.chain.w3.provider.make_request("evm_increaseTime", [3601])
    world.chain.w3.provider.make_request("evm_mine", [])

    def both() -> list[int]:
        runs = [
            subprocess.Popen(
                world.command("run", tmp_path / f"{m}.sqlite", round_id, "--once", "--batch-size", "2"),
                env=world.env(None, tmp_path / f"locks-{m}"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for m in ("m1", "m2")
        ]
        return [r.wait(240) for r in runs]

    both()
    world.pass_window()
    both()
    for m in ("m1", "m2"):  # a machine that lost a race to the other finishes on its next run
        assert world.run(tmp_path / f"{m}.sqlite", round_id, lock_dir=tmp_path / f"locks-{m}").returncode == 0
        assert world.step(tmp_path / f"{m}.sqlite", round_id) is Step.DONE
    assert world.posts(round_id) == 1 and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"


def test_a_fresh_node_with_the_same_chain_id_is_one_line_and_exit_4(
    world: FaultWorld, tmp_path: Path
) -> None:
    fresh = start_anvil(chain_id=world.chain.chain_id)
    try:
        run = subprocess.run(
            world.command("run", tmp_path / "s.sqlite", 1, "--once", rpc=fresh.rpc_url),
            env=world.env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 4 and "no contract" in run.stderr and "Traceback" not in run.stderr
        with pytest.raises(ChainError, match="no contract"):
            audit_rounds(world.community.manifest_path, world.community.store.folder, rpc_url=fresh.rpc_url)
    finally:
        fresh.stop()


def test_a_round_completes_with_the_cpu_saturated(world: FaultWorld, tmp_path: Path) -> None:
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)
    ]
    try:
        state = tmp_path / "state.sqlite"
        round_id = world.open_round()
        assert world.run(state, round_id).returncode == 0
        world.pass_window()
        done = world.run(state, round_id)
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert world.step(state, round_id) is Step.DONE and world.applied_once(round_id)
    assert world.audit(round_id) == "PASS"
