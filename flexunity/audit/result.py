"""The posted clearing result: its event, its EIP-712 hash, its signers, its document and config.

The ``ResultPosted`` event carries the signed struct in full; the signatures are read from the
``postResult`` transaction's calldata and recovered against the ClearingHouse's EIP-712 domain. The
signer set and threshold are those in force when the result was posted (registry events replayed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.contracts import ResultStatus, RoundInfo
from flexunity.chain.eip712 import ClearingResult, recover_signer, result_typed_data, typed_digest
from flexunity.chain.hashing import abi_encode as encode
from flexunity.chain.hashing import keccak
from flexunity.chain.reader import ChainReader, Log
from flexunity.errors import InputError
from flexunity.record.orders import schedule_problems
from flexunity.record.store import FolderStore

FIELDS = (
    "roundId", "orderDigest", "resultsRoot", "documentHash", "leafCount", "totalDebit", "totalCredit",
    "feesTotal", "supplierTotal", "importWh", "exportWh", "tradedWh",
)  # fmt: skip


def latest_result(reader: ChainReader, round_id: int) -> Log | None:
    logs = reader.logs(reader.clients.clearing.contract, ("ResultPosted",), roundId=round_id)
    return logs[-1] if logs else None


def result_of(log: Log) -> ClearingResult:
    raw = log.args["result"]
    values = [raw[name] for name in FIELDS] if isinstance(raw, Mapping) else list(raw)
    plain: list[Any] = [bytes(v) if isinstance(v, bytes | bytearray) else int(v) for v in values]
    return ClearingResult(*plain)


@dataclass(frozen=True)
class ResultState:
    """A round's result state as its events tell it (the contract stores only a commitment to it)."""

    results_root: bytes
    total_debit: int
    challenge_ends: int
    leaf_count: int
    status: ResultStatus

    def encoded(self) -> bytes:
        types = ["bytes32", "uint128", "uint64", "uint32", "uint8"]
        values = [self.results_root, self.total_debit, self.challenge_ends, self.leaf_count, int(self.status)]
        return encode(types, values)


def result_state(reader: ChainReader, round_id: int) -> ResultState:
    """The latest state of the round's result, replayed from the ClearingHouse's events."""
    names = ("ResultPosted", "ResultStateChanged", "RoundVoided", "DisputeResolved", "ResultDisputed")
    state = ResultState(b"\x00" * 32, 0, 0, 0, ResultStatus.NONE)
    for log in reader.logs(reader.clients.clearing.contract, names, roundId=round_id):
        state = _next_state(state, log)
    return state


def _next_state(state: ResultState, log: Log) -> ResultState:
    if log.name == "ResultPosted":
        r = result_of(log)
        ends = int(log.args["challengeEnds"])
        return ResultState(r.results_root, r.total_debit, ends, r.leaf_count, ResultStatus.POSTED)
    if log.name == "ResultStateChanged":
        raw = log.args["state"]
        keys = ("resultsRoot", "totalDebit", "challengeEnds", "leafCount", "status")
        v = [raw[k] for k in keys] if isinstance(raw, Mapping) else list(raw)
        return ResultState(bytes(v[0]), int(v[1]), int(v[2]), int(v[3]), ResultStatus(int(v[4])))
    if log.name == "RoundVoided":
        return ResultState(b"\x00" * 32, 0, 0, 0, ResultStatus.VOID)
    if log.name == "ResultDisputed":
        return ResultState(state.results_root, state.total_debit, state.challenge_ends, state.leaf_count,
                           ResultStatus.DISPUTED)  # fmt: skip
    upheld = bool(log.args["upheld"])  # DisputeResolved
    status = ResultStatus.ACCEPTED if upheld else ResultStatus.REJECTED
    return ResultState(state.results_root, state.total_debit, state.challenge_ends, state.leaf_count, status)


def state_problems(reader: ChainReader, round_id: int, state: ResultState) -> list[str]:
    """Differences between the replayed state and what the contract stores (commitment or struct)."""
    contract = reader.clients.clearing.contract
    if reader.has_function(contract, "commitmentOf"):
        stored = bytes(contract.functions.commitmentOf(round_id).call())
        if state.status is ResultStatus.VOID and reader.has_function(contract, "voidCommitment"):
            expected = bytes(contract.functions.voidCommitment().call())
        elif state.status in (ResultStatus.NONE, ResultStatus.REJECTED):
            expected = b"\x00" * 32
        else:
            expected = keccak(state.encoded())
        if stored != expected:
            return [
                f"the events' result state commits to 0x{expected.hex()}, the contract to 0x{stored.hex()}"
            ]
        return []
    return ["the ClearingHouse has no commitmentOf: its state cannot be checked"]


def check_posted(
    verdict: RoundVerdict, reader: ChainReader, log: Log, info: RoundInfo, state: ResultState
) -> ClearingResult:
    """The event's struct hashes to its resultHash; the stored state is the events' latest state."""
    result = result_of(log)
    digest = typed_digest(result_typed_data(reader.clients.clearing.domain(), result))
    problems = state_problems(reader, result.round_id, state)
    if digest != bytes(log.args["resultHash"]):
        problems.append(
            f"the posted struct hashes to 0x{digest.hex()}, "
            f"the event says 0x{bytes(log.args['resultHash']).hex()}"
        )
    if state.status in (ResultStatus.DISPUTED, ResultStatus.REJECTED):
        problems.append(f"the result is {state.status.name.lower()}: settlement is frozen or void")
    if reader.block_time(log.block) < info.gate_closure:
        problems.append("the result was posted before gate closure")
    verdict.add("result.posted", problems, f"posted in block {log.block}, status {state.status.name.lower()}")
    return result


def check_signatures(verdict: RoundVerdict, reader: ChainReader, log: Log, result: ClearingResult) -> None:
    """At least ``threshold`` distinct signatures of the signer set in force when it was posted."""
    signers, threshold = reader.registry().signers_at(log.position)
    tx = reader.transaction(log.tx_hash)
    contract = reader.clients.clearing.contract
    problems: list[str] = []
    recovered: list[str] = []
    if str(tx["to"]).lower() != contract.address.lower():
        problems.append(f"posted through {tx['to']}, not the ClearingHouse: signatures cannot be read")
    else:
        _, params = contract.decode_function_input(tx["input"])
        typed = result_typed_data(reader.clients.clearing.domain(), result)
        recovered = [recover_signer(typed, bytes(sig)) for sig in params["signatures"]]
    allowed = {s.lower() for s in signers}
    valid = {r.lower() for r in recovered if r.lower() in allowed}
    problems += [
        f"signature by {r}, not an authorised signer then" for r in recovered if r.lower() not in allowed
    ]
    if recovered and len(valid) < threshold:
        problems.append(f"{len(valid)} distinct authorised signatures, the threshold was {threshold}")
    verdict.add(
        "result.signatures", problems, f"{len(valid)} of {len(signers)} signers (threshold {threshold})"
    )


def load_document(verdict: RoundVerdict, store: FolderStore, result: ClearingResult) -> dict[str, Any] | None:
    """The result document whose keccak256 is the posted documentHash (None: missing or altered)."""
    digest = "0x" + result.document_hash.hex()
    try:
        document = json.loads(store.get(digest))
    except (InputError, ValueError) as exc:  # missing, altered, or not JSON
        verdict.add("document.hash", [str(exc)], "")
        return None
    if not isinstance(document, dict):
        verdict.add("document.hash", [f"document {digest} is not a JSON object"], "")
        return None
    verdict.add("document.hash", [], f"{digest[:14]}… found, its bytes hash to the posted documentHash")
    return document


def load_config(
    verdict: RoundVerdict, store: FolderStore, info: RoundInfo, config_hash: str
) -> dict[str, Any] | None:
    """The round's configuration: the one ``openRound`` bound the round to on chain (its ``configHash``),
    found in the store with bytes that hash to it, cited by the document, for this round and schedule."""
    bound = "0x" + info.config_hash.hex()
    problems = []
    if config_hash.lower() != bound:
        problems.append(
            f"the document cites config {config_hash or '(none)'}, "
            f"the round was opened with configHash {bound}"
        )
    config: dict[str, Any] | None = None
    try:
        config = dict(store.get_json(bound))
    except InputError as exc:  # missing from the store, or its bytes do not hash to configHash
        problems.append(str(exc))
    if config is not None:
        problems += schedule_problems(config, info.round_id, info.interval_count, info.interval_seconds)
    verdict.add(
        "config", problems, f"config {bound[:14]}… bound to the round by openRound, found in the store"
    )
    return config if not problems else None
