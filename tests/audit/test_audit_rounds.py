"""The audit on rounds run by the oracle's own pipeline (eth-tester): a clean round passes, and each
dishonest variation is caught by the check that names it, with a reason in words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_world import (
    ConfigSwappingRunner,
    DroppingRunner,
    SkimmingRunner,
    World,
    WrongRootChain,
    overbilling_clearer,
    suboptimal_clearer,
)

from flexunity.audit import AUDIT_FAILED_EXIT_CODE, RoundVerdict, audit_rounds
from flexunity.oracle.runner import default_clearer
from flexunity.record.store import FolderStore, document_hash

pytestmark = pytest.mark.chain

EVERY_CHECK = {
    "orders.digest", "orders.signatures", "result.posted", "result.signatures", "document.hash",
    "result.digest", "config", "orders.inputs", "optimisation.feasible", "optimisation.optimal",
    "optimisation.summary", "prices", "bills", "settlement.amounts", "merkle.root", "result.totals",
    "escrow.movements", "escrow.ledger", "result.attempts", "round.deadline", "settlement.debits",
}  # fmt: skip


def audit_one(world: World, round_id: int, store: Path | None = None) -> RoundVerdict:
    (verdict,) = audit_rounds(world.manifest_path, store or world.store, [round_id], w3=world.w3)
    return verdict


def failed(verdict: RoundVerdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.failures}


def test_clean_round_passes_every_check(world: World, clean_round: tuple[int, dict[str, Any]]) -> None:
    round_id, _ = clean_round
    verdict = audit_one(world, round_id)
    assert verdict.status == "PASS", failed(verdict)
    assert {c.name for c in verdict.checks} == EVERY_CHECK
    assert "all applied" in (verdict.check("escrow.movements") or pytest.fail()).detail


def test_altered_document_bytes_are_refused(
    world: World, clean_round: tuple[int, dict[str, Any]], store_copy: Path
) -> None:
    round_id, data = clean_round
    path = FolderStore(store_copy).path(data["result_hash"])
    document = json.loads(path.read_text())
    peer = next(iter(document["clearing"]["bills"]))
    document["clearing"]["bills"][peer]["total"] -= 1.0
    path.write_text(json.dumps(document))
    reasons = failed(audit_one(world, round_id, store_copy))
    assert list(reasons) == ["document.hash"]
    assert "was altered" in reasons["document.hash"]


def test_missing_document_is_reported(
    world: World, clean_round: tuple[int, dict[str, Any]], store_copy: Path
) -> None:
    round_id, data = clean_round
    FolderStore(store_copy).path(data["result_hash"]).unlink()
    assert "not in the store" in failed(audit_one(world, round_id, store_copy))["document.hash"]


def test_document_citing_another_config_than_the_rounds_fails(world: World) -> None:
    round_id, data = world.run_round(runner_class=ConfigSwappingRunner, settle=False)
    bound = "0x" + world.community.chain.clients.rounds.round(round_id).config_hash.hex()
    assert data["config_hash"] != bound
    reasons = failed(audit_one(world, round_id))
    assert set(reasons) == {"config"}
    assert (
        f"cites config {data['config_hash']}, the round was opened with configHash {bound}"
        in (reasons["config"])
    )


def test_altered_or_missing_round_config_is_refused(
    world: World, clean_round: tuple[int, dict[str, Any]], store_copy: Path
) -> None:
    round_id, data = clean_round
    path = FolderStore(store_copy).path(data["config_hash"])
    config = json.loads(path.read_text())
    config["community"]["fee_per_kwh"] = 0.0
    path.write_text(json.dumps(config))
    reasons = failed(audit_one(world, round_id, store_copy))
    assert set(reasons) == {"config"}
    assert "was altered" in reasons["config"]
    path.unlink()
    assert "not in the store" in failed(audit_one(world, round_id, store_copy))["config"]


def test_rehashed_suboptimal_dispatch_fails_optimality(world: World) -> None:
    round_id, _ = world.run_round(clearer=suboptimal_clearer, settle=False)
    verdict = audit_one(world, round_id)
    reasons = failed(verdict)
    assert "optimisation.optimal" in reasons
    assert "the optimum is" in reasons["optimisation.optimal"]
    passed = {c.name for c in verdict.checks if c.passed}
    assert {"document.hash", "optimisation.feasible", "merkle.root", "result.signatures"} <= passed


def test_rehashed_bill_that_does_not_follow_prices_fails(world: World) -> None:
    round_id, _ = world.run_round(clearer=overbilling_clearer, settle=False)
    reasons = failed(audit_one(world, round_id))
    assert set(reasons) == {"bills"}
    assert "trades of" in reasons["bills"] and "from the prices" in reasons["bills"]


def test_wrong_merkle_root_fails(world: World) -> None:
    round_id, _ = world.run_round(chain=WrongRootChain(world.community.chain), settle=False)
    reasons = failed(audit_one(world, round_id))
    assert set(reasons) == {"merkle.root"}
    assert "the chain has 0x" + "ab" * 32 in reasons["merkle.root"]


def test_order_dropped_by_the_oracle_fails(world: World) -> None:
    round_id, _ = world.run_round(runner_class=DroppingRunner, settle=False)
    reasons = failed(audit_one(world, round_id))
    assert set(reasons) == {"orders.inputs"}
    assert "is on chain but missing from the document" in reasons["orders.inputs"]


def test_order_left_out_of_the_clearing_fails(world: World) -> None:
    def blind_clearer(scenario: dict[str, Any]) -> Any:
        return default_clearer({**scenario, "peers": scenario["peers"][1:]})

    round_id, _ = world.run_round(clearer=blind_clearer, settle=False)
    reasons = failed(audit_one(world, round_id))
    assert "orders.inputs" in reasons
    assert "has no entry in the clearing's peers" in reasons["orders.inputs"]


def test_altered_payment_fails_even_when_settled(world: World) -> None:
    round_id, _ = world.run_round(runner_class=SkimmingRunner)
    verdict = audit_one(world, round_id)
    reasons = failed(verdict)
    assert set(reasons) == {"settlement.amounts"}
    assert "the bills give debit" in reasons["settlement.amounts"]
    assert "all applied" in (verdict.check("escrow.movements") or pytest.fail()).detail


def test_cli_prints_json_and_exits_non_zero_on_failure(
    world: World,
    clean_round: tuple[int, dict[str, Any]],
    store_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flexunity.cli.audit import run_audit

    round_id, data = clean_round
    assert run_audit(world.manifest_path, world.store, [round_id], fmt="json", w3=world.w3) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["rounds"][0]["status"] == "PASS"
    path = FolderStore(store_copy).path(data["result_hash"])
    path.write_text(path.read_text().replace('"round":', '"round": ', 1))
    assert document_hash(path.read_bytes()) != data["result_hash"]
    code = run_audit(world.manifest_path, store_copy, [round_id], fmt="table", w3=world.w3)
    assert code == AUDIT_FAILED_EXIT_CODE
    assert "FAIL" in capsys.readouterr().out


def test_round_without_a_result_is_pending_not_failed(world: World) -> None:
    from flexunity.demo.options import Timer
    from flexunity.demo.prepare import open_round_with_orders

    round_id, _ = open_round_with_orders(world.community, world.scenario, Timer({}, lambda _: None))
    verdict = audit_one(world, round_id)
    assert verdict.status == "PENDING" and verdict.passed
    assert "gate open" in (verdict.check("result.posted") or pytest.fail()).detail
