"""``audit_round`` and ``audit_rounds``: every check of one round, from the chain and the documents.

The order of the checks follows the round (docs/audit.md): orders and digest, the posted result and
its signers, the document and the round config, the inputs of the clearing, feasibility and
optimality, prices and bills, integer amounts, the Merkle root and totals, and the token movements;
then the revenue distributions of step 7, each in the verdict of its round (flexunity/audit/revenue.py).
A check that cannot run because an earlier one failed (no document, no config) is left out: the
earlier failure already says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from flexunity.audit import clearing, orders, result, revenue, settlement
from flexunity.audit.escrow import ledger_problems
from flexunity.audit.verdict import Check, RoundVerdict, Tolerances
from flexunity.chain.contracts import ResultStatus, RoundInfo, RoundResult
from flexunity.chain.eip712 import ClearingResult
from flexunity.chain.manifest import Manifest, load_manifest
from flexunity.chain.reader import ChainReader, Log, Web3, connect
from flexunity.errors import ChainError
from flexunity.record.store import DocumentSource, open_store

RESULT_FORMAT = "flexunity-round-result/1"
T = TypeVar("T")


def audit_rounds(
    manifest_path: Path | str | Manifest,
    store_dir: Path | str | DocumentSource,
    rounds: Iterable[int] | None = None,
    *,
    w3: Web3 | None = None,
    rpc_url: str | None = None,
    tolerances: Tolerances | None = None,
) -> list[RoundVerdict]:
    """Audit ``rounds`` (default: every round opened so far) of the deployment in the manifest.

    Raises ChainError (readable, no traceback in the CLI) when the node cannot be reached; a failed
    check never raises: it is in the verdict.
    """
    manifest = manifest_path if isinstance(manifest_path, Manifest) else load_manifest(manifest_path)
    reader = ChainReader(w3 or connect(rpc_url or manifest.rpc_url, manifest), manifest)
    store = open_store(store_dir) if isinstance(store_dir, str | Path) else store_dir  # folder, URL
    try:
        wanted = list(rounds) if rounds is not None else list(range(1, reader.round_count() + 1))
        ledger = ledger_problems(reader)
        verdicts = [audit_round(reader, store, r, tolerances=tolerances) for r in wanted]
        revenue.attach(verdicts, reader, store)  # step 7's distributions
    except (OSError, TimeoutError) as exc:  # requests' connection errors are OSErrors
        raise ChainError(f"the node stopped answering during the audit: {exc}") from None
    for verdict in verdicts:
        if not verdict.pending:
            verdict.add("escrow.ledger", ledger, "escrow balances and debts = its events replayed")
    return verdicts


def audit_round(
    reader: ChainReader, store: DocumentSource, round_id: int, *, tolerances: Tolerances | None = None
) -> RoundVerdict:
    """Every check of one round (see the module docstring)."""
    started = time.perf_counter()
    verdict = RoundVerdict(round_id)
    _audit(verdict, reader, store, round_id, tolerances or Tolerances())
    verdict.seconds = time.perf_counter() - started
    return verdict


def _audit(
    verdict: RoundVerdict, reader: ChainReader, store: DocumentSource, round_id: int, tol: Tolerances
) -> None:
    try:
        info = reader.round(round_id)
    except ChainError as exc:
        verdict.add("round", [str(exc)], "")
        return
    logs = orders.order_logs(reader, round_id)
    digest = orders.check_events(verdict, reader, info, logs)
    orders.check_signatures(verdict, reader, round_id, logs)
    posted_log = result.latest_result(reader, round_id)
    state = result.result_state(reader, round_id)
    result.check_attempts(verdict, reader, round_id)
    result.check_deadline(verdict, reader, info, state)
    if posted_log is None or state.status in (ResultStatus.VOID, ResultStatus.NONE):
        _no_result(verdict, reader, round_id, info.gate_closure, state)
        return
    posted = result.check_posted(verdict, reader, posted_log, info, state)
    result.check_signatures(verdict, reader, posted_log, posted)
    document = result.load_document(verdict, store, posted)
    if document is not None:
        identity = (verdict, reader, document, round_id, digest, posted.order_digest)
        _stage(verdict, "result.digest", _check_identity, *identity)
        _audit_document(verdict, reader, store, info, logs, posted_log, posted, document, tol)


def _audit_document(
    verdict: RoundVerdict, reader: ChainReader, store: DocumentSource, info: RoundInfo, logs: list[Log],
    posted_log: Log, posted: ClearingResult, document: dict[str, Any], tol: Tolerances,
) -> None:  # fmt: skip
    """The checks that re-derive the clearing and the money from the document and the orders."""
    config_hash = str(document.get("config_hash", ""))
    config = _stage(verdict, "config", result.load_config, verdict, store, info, config_hash)
    if config is None:
        return
    accepted, rejected = orders.effective_orders(logs, info.interval_count, config)
    inputs = (verdict, config, accepted, rejected, document)
    scenario_dict = _stage(verdict, "orders.inputs", clearing.check_inputs, *inputs)
    cleared = document.get("clearing", {})
    if scenario_dict is not None:
        scenario = _stage(
            verdict,
            "optimisation.feasible",
            clearing.check_optimisation,
            verdict,
            scenario_dict,
            cleared,
            tol,
        )
        if scenario is not None:
            _stage(verdict, "prices", clearing.check_prices_and_bills, verdict, scenario, cleared, tol)
    decimals = _decimals(verdict, reader, config)
    leaves = _stage(
        verdict,
        "settlement.amounts",
        settlement.check_amounts,
        verdict,
        reader,
        posted_log,
        document,
        decimals,
    )
    if leaves is not None:
        _stage(verdict, "settlement.debits", settlement.check_debits_have_orders, verdict, logs, leaves)
        _stage(verdict, "merkle.root", settlement.check_root_and_totals, verdict, document, posted, leaves)
        _stage(verdict, "escrow.movements", settlement.check_movements, verdict, reader, posted, leaves)


MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def _stage(verdict: RoundVerdict, name: str, check: Callable[..., T], *args: Any) -> T | None:
    """Run one stage of checks; a malformed document or config fails the stage instead of the audit."""
    try:
        return check(*args)
    except MALFORMED as exc:
        verdict.add(
            name, [f"cannot be checked, malformed document or config: {type(exc).__name__}: {exc}"], ""
        )
        return None


def _decimals(verdict: RoundVerdict, reader: ChainReader, config: dict[str, Any]) -> int:
    """The settlement token's decimals: the config must state the token's own."""
    on_chain = reader.token_decimals()
    stated = (
        config.get("settlement", {}).get("token_decimals")
        if isinstance(config.get("settlement"), dict)
        else None
    )
    if stated != on_chain:
        verdict.add(
            "settlement.decimals", [f"the config states {stated} decimals, the token has {on_chain}"], ""
        )
    return on_chain


def _no_result(
    verdict: RoundVerdict, reader: ChainReader, round_id: int, gate_closure: int, state: RoundResult
) -> None:
    problems = result.state_problems(reader, round_id, state)
    if state.status is ResultStatus.VOID:
        applied = reader.logs(reader.clients.escrow.contract, ("SettlementApplied",), roundId=round_id)
        problems += [f"{len(applied)} leaves applied in a void round"] if applied else []
        verdict.add("result.posted", problems, "void round: nothing settles")
        return
    if problems:
        verdict.add("result.posted", problems, "")
        return
    verdict.pending = True
    stage = "gate open" if reader.now() < gate_closure else "gate closed, waiting for the oracle"
    verdict.checks.append(Check("result.posted", True, f"no result yet ({stage})"))


def _check_identity(
    verdict: RoundVerdict, reader: ChainReader, document: dict[str, object], round_id: int,
    events_digest: bytes, posted_digest: bytes,
) -> None:  # fmt: skip
    """The document is this round's, on this chain and deployment, for the order book on chain."""
    problems = []
    if document.get("format") != RESULT_FORMAT:
        problems.append(f"the document is {document.get('format')!r}, not {RESULT_FORMAT}")
    if document.get("round") != round_id or document.get("chain_id") != reader.manifest.chain_id:
        problems.append(
            f"the document is for round {document.get('round')} on chain {document.get('chain_id')}"
        )
    contracts = {k.lower(): str(v).lower() for k, v in dict(document.get("contracts", {}) or {}).items()}  # type: ignore[call-overload]
    expected = {k.lower(): c.address.lower() for k, c in reader.manifest.contracts.items()}
    if contracts != expected:
        problems.append("the document names other contract addresses than the manifest")
    if posted_digest != events_digest:
        problems.append(
            f"the result was signed on order digest 0x{posted_digest.hex()}, "
            f"the orders give 0x{events_digest.hex()}"
        )
    if str(document.get("order_digest", "")).lower() != "0x" + events_digest.hex():
        problems.append(
            f"the document's order digest {document.get('order_digest')} "
            f"is not the orders' 0x{events_digest.hex()}"
        )
    verdict.add("result.digest", problems, "result and document bind this round's order digest")
