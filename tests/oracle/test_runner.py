"""The oracle's state machine on an in-memory chain: steps, waiting, restarts, exactly-once effects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oracle_fakes import FakeChain

from flexunity.errors import ChainError, InputError
from flexunity.oracle.runner import RoundRunner
from flexunity.oracle.state import StateDB, Step
from flexunity.record.orders import AcceptedOrder, encode_order, round_config
from flexunity.record.store import FolderStore

T = 4
SCENARIO: dict[str, Any] = {
    "format": "flexunity-scenario/1",
    "name": "tiny",
    "start": "2026-06-01T00:00:00+00:00",
    "timezone": "UTC",
    "interval_minutes": 60,
    "intervals": T,
    "currency": "GBP",
    "tariffs": {"std": {"import_price": 0.30, "export_price": 0.05}},
    "grid": {"connected": True},
    "community": {"fee_per_kwh": 0.01, "pricing": "dual"},
    "peers": [
        {"id": "a", "tariff": "std", "load_kw": 1.0, "pv_kw": [0, 3, 3, 0]},
        {"id": "b", "tariff": "std", "load_kw": [1.0, 2.0, 1.0, 1.0]},
    ],
}
ADDRESSES = ["0x" + "a1" * 20, "0x" + "b2" * 20]


def fake_clearer(scenario: dict[str, Any]) -> dict[str, Any]:
    """Bills that are not round numbers in base units, with fees, like a real clearing."""
    bills = {}
    for i, peer in enumerate(scenario["peers"]):
        bills[peer["id"]] = {"total": 1.2345671 - 2.1 * i, "fees": 0.0100003}
    return {"bills": bills, "objective": 1.0}


def make(tmp_path: Path, chain: FakeChain) -> RoundRunner:
    store = FolderStore(tmp_path / "store")
    chain.config_hash = store.put_json(round_config(SCENARIO, 1, token_decimals=6))
    return RoundRunner(chain, store, StateDB(tmp_path / "state.sqlite"), clearer=fake_clearer)


def orders() -> list[AcceptedOrder]:
    return [
        AcceptedOrder(a, 0, encode_order(p, T, 60))
        for a, p in zip(ADDRESSES, SCENARIO["peers"], strict=False)
    ]


def test_run_completes_and_settles_every_leaf_once(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    state = make(tmp_path, chain).run(1, wait=False)
    assert state.step is Step.WINDOW_PASSED or state.step is Step.POSTED
    chain.time += chain.window
    state = make(tmp_path, chain).run(1, wait=False)
    assert state.step is Step.DONE
    assert chain.post_calls == 1
    assert sorted(chain.settle_log) == list(range(len(state.data["leaves"])))
    assert sum(-x["amount"] if x["isCredit"] else x["amount"] for x in state.data["leaves"]) == 0


def test_run_waits_while_gate_open(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders(), gate_closed=False)
    assert make(tmp_path, chain).run(1, wait=False).step is Step.OPENED


def test_restart_after_crash_between_send_and_save_does_not_post_twice(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    runner = make(tmp_path, chain)
    runner.run(1, wait=False)  # posts
    db = runner.db
    state = db.get(1)
    assert state is not None
    db.advance(state, Step.DOCUMENT_STORED, {})  # as if killed after mining, before saving POSTED
    chain.time += chain.window
    assert make(tmp_path, chain).run(1, wait=False).step is Step.DONE
    assert chain.post_calls == 1


def test_restart_mid_settlement_settles_only_the_rest(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders(), window=0)
    runner = make(tmp_path, chain)
    state = runner.run(1, wait=False)
    assert state.step is Step.DONE
    chain.settled.discard(0)  # pretend leaf 0 was not applied and the state rolled back
    state = runner.db.advance(state, Step.WINDOW_PASSED, {})
    make(tmp_path, chain).run(1, wait=False)
    assert chain.settle_log.count(0) == 2 and chain.settle_log.count(1) == 1


def test_missing_order_event_is_caught_by_the_digest(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    runner = make(tmp_path, chain)
    digest_before = chain.view(1).order_digest
    chain.orders_ = chain.orders_[:1]
    chain.view = lambda r: FakeChain.view(chain, r).__class__(  # type: ignore[method-assign]
        **{**FakeChain.view(chain, r).__dict__, "order_digest": digest_before}
    )
    with pytest.raises(ChainError, match="missing or altered"):
        runner.run(1, wait=False)


def test_other_result_on_chain_is_refused(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    chain.posted, chain.last_hash = {"result_hash": "0x" + "ee" * 32}, "0x" + "ee" * 32
    with pytest.raises(ChainError, match="another result"):
        make(tmp_path, chain).run(1, wait=False)


def test_a_state_file_of_another_deployment_is_refused(tmp_path: Path) -> None:
    make(tmp_path, FakeChain(orders_=orders(), window=0)).run(1, wait=False)
    with pytest.raises(InputError, match="another deployment"):
        make(tmp_path, FakeChain(chain_id=1000, orders_=orders())).run(1, wait=False)


def test_a_round_whose_bound_config_is_missing_or_altered_is_refused(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders())
    runner = make(tmp_path, chain)
    path = runner.store.path(chain.config_hash)
    path.write_text(path.read_text().replace('"pricing":"dual"', '"pricing":"uniform"'))
    with pytest.raises(InputError, match="was altered"):
        runner.run(1, wait=False)
    path.unlink()
    with pytest.raises(InputError, match="not in the store"):
        runner.run(1, wait=False)
    state = runner.db.get(1)
    assert state is not None and state.step is Step.OPENED


def test_a_bound_config_for_another_round_or_schedule_is_refused(tmp_path: Path) -> None:
    chain = FakeChain(orders_=orders(), interval_count=8, interval_seconds=1800)
    runner = make(tmp_path, chain)
    with pytest.raises(InputError, match=r"config has 4 × 60 min, the chain 8 × 30 min"):
        runner.run(1, wait=False)
    chain.interval_count, chain.interval_seconds = 4, 3600
    chain.config_hash = runner.store.put_json(round_config(SCENARIO, 2, token_decimals=6))
    with pytest.raises(InputError, match="the config is for round 2"):
        runner.run(1, wait=False)
    chain.config_hash = runner.store.put_json(round_config(SCENARIO, 1, token_decimals=6))
    runner.run(1, wait=False)
    assert chain.post_calls == 1
