"""Every on-chain outcome of a posted result, a lost state file, a second writer: on the fake chain."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from oracle_fakes import FakeChain
from test_runner import fake_clearer, make, orders

from flexunity.errors import ChainError
from flexunity.oracle.lock import OracleBusy, OracleLock
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateConflict, StateDB, Step


def posted(tmp_path: Path) -> tuple[FakeChain, RoundRunner]:
    chain = FakeChain(orders_=orders())
    runner = make(tmp_path, chain)
    assert runner.run(1, wait=False).step is Step.POSTED
    return chain, runner


def test_a_rejected_result_is_cleared_again_and_a_corrected_one_posted(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    first = chain.last_hash
    chain.reject()
    lines: list[str] = []
    runner.report = lines.append
    state = runner.run(1, wait=False)
    assert state.step is Step.POSTED and chain.post_calls == 2
    assert chain.posts[1] != first  # attempt 2: another document, another hash
    assert state.data["attempt"] == 2 and state.data["rejected_results"] == [first]
    assert runner.store.get_json(chain.posts[1])["attempt"] == 2
    assert any("rejected by the arbiter" in line and "attempt 2" in line for line in lines)
    chain.time += chain.window
    assert runner.run(1, wait=False).step is Step.DONE


def test_a_rejection_seen_only_at_settlement_is_handled_too(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    state = runner.db.get(1)
    assert state is not None
    runner.db.advance(state, Step.WINDOW_PASSED, {})  # an older oracle recorded the window as passed
    chain.reject()
    assert runner.run(1, wait=False).step is Step.POSTED and chain.post_calls == 2


def test_a_disputed_result_waits_and_an_upheld_one_settles(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    chain.status = "DISPUTED"
    chain.time += 10 * chain.window
    assert runner.run(1, wait=False).step is Step.POSTED and not chain.settled
    chain.status = "ACCEPTED"
    state = runner.run(1, wait=False)
    assert state.step is Step.DONE and state.data["outcome"] == "UPHELD"


def test_a_voided_round_is_closed_without_settlement(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    chain.status = "VOID"
    assert runner.run(1, wait=False).step is Step.VOIDED and not chain.settled
    fresh = FakeChain(orders_=orders(), status="VOID")
    assert make(tmp_path / "b", fresh).run(1, wait=False).step is Step.VOIDED and fresh.post_calls == 0


def test_a_round_past_its_result_timeout_is_said_and_still_posted(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders(), voidable_from=500)  # chain time 1000: voidable, not voided
    runner = make(tmp_path, chain)
    lines: list[str] = []
    runner.report = lines.append
    assert runner.run(1, wait=False).step is Step.POSTED and chain.post_calls == 1
    assert any("past its result timeout" in line for line in lines)


def test_a_result_lost_by_the_node_is_posted_again(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    chain.posted, chain.status = None, "NONE"  # an anvil reset from an older --state
    assert runner.run(1, wait=False).step is Step.POSTED and chain.post_calls == 2
    assert chain.posts[0] == chain.posts[1]


def test_the_result_document_is_the_same_bytes_on_every_run(tmp_path: Path) -> None:
    a, b = FakeChain(orders_=orders()), FakeChain(orders_=orders())

    def timed(scenario: dict) -> dict:  # a clearer with wall times, as flexunity.optimize reports them
        return {**fake_clearer(scenario), "timings": {"solve_s": __import__("time").perf_counter()}}

    ra, rb = make(tmp_path / "a", a), make(tmp_path / "b", b)
    ra.clearer = rb.clearer = timed
    ra.run(1, wait=False)
    rb.run(1, wait=False)
    assert a.last_hash == b.last_hash
    state = ra.db.get(1)
    assert state is not None and "solve_s" in state.data["clearing_timings"]


def test_a_lost_state_is_rebuilt_from_the_chain_and_the_store(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    (tmp_path / "state.sqlite").unlink()
    chain.time += chain.window
    rebuilt = RoundRunner(chain, runner.store, StateDB(tmp_path / "new.sqlite"), clearer=fake_clearer)
    state = rebuilt.run(1, wait=False)
    assert state.step is Step.DONE and chain.post_calls == 1 and state.data["rebuilt"]
    # with the store lost too, the round is cleared again and its document hashes to the posted one
    other = FakeChain(orders_=orders())
    make(tmp_path / "c", other).run(1, wait=False)
    for path in (tmp_path / "c" / "store").glob("*.json"):
        if path.stem != other.config_hash:
            path.unlink()
    (tmp_path / "c" / "state.sqlite").unlink()
    other.time += other.window
    assert make(tmp_path / "c", other).run(1, wait=False).step is Step.DONE and other.post_calls == 1


def test_another_result_on_chain_stops_the_round(tmp_path: Path) -> None:
    chain, runner = posted(tmp_path)
    chain.last_hash = "0x" + "ee" * 32
    with pytest.raises(ChainError, match="not ours"):
        runner.run(1, wait=False)


def test_state_writes_are_compare_and_set(tmp_path: Path) -> None:
    db_a, db_b = StateDB(tmp_path / "s.sqlite"), StateDB(tmp_path / "s.sqlite")
    seen_a = db_a.ensure(1)
    seen_b = db_b.get(1)
    assert seen_b is not None
    db_a.advance(seen_a, Step.GATE_CLOSED, {"by": "a"})
    with pytest.raises(StateConflict, match="another oracle"):
        db_b.advance(seen_b, Step.GATE_CLOSED, {"by": "b"})
    now = db_b.get(1)
    assert now is not None and now.data == {"by": "a"} and now.step is Step.GATE_CLOSED


def _hold(
    path: str, ready: multiprocessing.synchronize.Event, stop: multiprocessing.synchronize.Event
) -> None:
    lock = OracleLock(Path(path), "1/0xabc/0xdef").acquire()
    ready.set()
    stop.wait(30)
    lock.release()


def test_a_second_oracle_is_refused_by_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXUNITY_LOCK_DIR", str(tmp_path / "locks"))
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(str(tmp_path / "a.sqlite"), ready, stop))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(OracleBusy, match="another oracle") as err:  # its own state, same deployment
            OracleLock(tmp_path / "b.sqlite", "1/0xabc/0xdef").acquire()
        assert err.value.exit_code == 6
        OracleLock(tmp_path / "c.sqlite", "1/0xabc/0x999").acquire().release()  # another deployment
    finally:
        stop.set()
        holder.join(30)
    OracleLock(tmp_path / "b.sqlite", "1/0xabc/0xdef").acquire().release()  # free once it stopped


def test_a_clock_gone_back_is_said_and_nothing_sent(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    runner = make(tmp_path, chain)
    runner.run(1, wait=False)
    state = runner.db.get(1)
    assert state is not None
    runner.db.advance(state, Step.DOCUMENT_STORED, {})
    chain.posted, chain.status = None, "NONE"
    chain.gate_closed = False  # an anvil restarted from --state: its clock is back before the gate
    lines: list[str] = []
    runner.report = lines.append
    assert runner.run(1, wait=False).step is Step.DOCUMENT_STORED and chain.post_calls == 1
    assert any("clock went back" in line for line in lines)


def test_watch_mode_waits_out_a_dead_node_and_says_when_it_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flexunity.chain.retry import NodeDown
    from flexunity.oracle import service as service_module
    from flexunity.oracle.service import OracleService

    chain = FakeChain(orders_=orders(), window=0)
    runner = make(tmp_path, chain)
    down = {"left": 3}

    def rounds() -> list[int]:
        if down["left"]:
            down["left"] -= 1
            raise NodeDown("roundCount: the node did not answer after 6 attempts")
        return [1]

    chain.open_rounds = rounds  # type: ignore[method-assign]
    monkeypatch.setattr(service_module.time, "sleep", lambda _: None)
    lines: list[str] = []
    service = OracleService(runner, lines.append)
    ticks = iter(range(6))
    service.serve(poll=0.01, stop=lambda: next(ticks, None) is None)
    assert runner.db.get(1).step is Step.DONE  # type: ignore[union-attr]
    assert sum("node unreachable" in line for line in lines) == 4, lines  # went away + one per wait
    assert any("node back after" in line for line in lines)
    with pytest.raises(NodeDown):  # --once gives up
        down["left"] = 1
        service.tick()
