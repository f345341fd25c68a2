"""The posted clearing result: its event, its EIP-712 hash, its signers, its document and config.

The ``ResultPosted`` event carries the signed struct in full; the signatures are read from the
``postResult`` transaction's calldata and recovered against the ClearingHouse's EIP-712 domain. The
signer set and threshold are those in force when the result was posted (registry events replayed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.contracts import NO_RESULT, ResultStatus, RoundInfo, RoundResult
from flexunity.chain.eip712 import ClearingResult, recover_signer, result_typed_data, typed_digest
from flexunity.chain.reader import ChainReader, Log
from flexunity.errors import InputError
from flexunity.record.orders import schedule_problems
from flexunity.record.store import DocumentSource

FIELDS = (
    "roundId", "attempt", "signerEpoch", "orderDigest", "resultsRoot", "documentHash", "leafCount",
    "totalDebit", "totalCredit",
    "feesTotal", "supplierTotal", "importWh", "exportWh", "tradedWh",
)  # fmt: skip


def latest_result(reader: ChainReader, round_id: int) -> Log | None:
    logs = reader.logs(reader.clients.clearing.contract, ("ResultPosted",), roundId=round_id)
    return logs[-1] if logs else None


def result_of(log: Log) -> ClearingResult:
    raw = log.args["result"]
    values = [raw[name] for name in FIELDS] if isinstance(raw, Mapping) else list(raw)
    plain: dict[str, Any] = dict(
        zip(FIELDS, [bytes(v) if isinstance(v, bytes | bytearray) else int(v) for v in values], strict=True)
    )
    return ClearingResult(
        plain["roundId"], plain["orderDigest"], plain["resultsRoot"], plain["documentHash"],
        plain["leafCount"], plain["totalDebit"], plain["totalCredit"], plain["feesTotal"],
        plain["supplierTotal"], plain["importWh"], plain["exportWh"], plain["tradedWh"],
        attempt=plain["attempt"], signer_epoch=plain["signerEpoch"],
    )  # fmt: skip


def result_state(reader: ChainReader, round_id: int) -> RoundResult:
    """The latest state of the round's result (the contract stores only a commitment to it): every
    ResultPosted and ResultStateChanged event carries the round's new state in full; the last one is
    the current state. Times are on the community clock; ``deadline`` is when it must have been left."""
    state = NO_RESULT
    for log in reader.logs(
        reader.clients.clearing.contract, ("ResultPosted", "ResultStateChanged"), roundId=round_id
    ):
        state = RoundResult.from_event(log.args["state"])
    return state


def check_attempts(verdict: RoundVerdict, reader: ChainReader, round_id: int) -> None:
    """No rejected result was posted again: each posted result carries the next attempt number, and
    none has the EIP-712 hash of a result the arbiter rejected."""
    names = ("ResultPosted", "ResultStateChanged")
    rejected: set[bytes] = set()
    last_hash: bytes | None = None
    expected = 0
    problems: list[str] = []
    for log in reader.logs(reader.clients.clearing.contract, names, roundId=round_id):
        if log.name == "ResultPosted":
            last_hash = bytes(log.args["resultHash"])
            attempt = int(result_of(log).attempt)
            if last_hash in rejected:
                problems.append(f"block {log.block} re-posted the rejected result 0x{last_hash.hex()[:16]}…")
            if attempt != expected:
                problems.append(f"block {log.block} posted attempt {attempt}, the round's next is {expected}")
        else:
            state = RoundResult.from_event(log.args["state"])
            if state.status is ResultStatus.REJECTED and last_hash is not None:
                rejected.add(last_hash)
                expected = state.attempt
    verdict.add("result.attempts", problems, f"{len(rejected)} rejected result(s), none posted again")


def check_deadline(verdict: RoundVerdict, reader: ChainReader, info: RoundInfo, state: RoundResult) -> None:
    """The round is not past the deadline of its current state (it would be stuck until someone
    voids or closes it). Deadlines are on the community clock (registry.clock())."""
    clock = int(reader.clients.registry.clock())
    finished = bool(reader.clients.escrow.contract.functions.isFinished(info.round_id).call())
    timeout = reader.clients.clearing.config().result_timeout
    problems: list[str] = []
    if finished or state.status is ResultStatus.VOID:
        verdict.add("round.deadline", [], "finished: settled, closed or void")
        return
    if state.status is ResultStatus.NONE:
        due = info.gate_closure - info.paused_before + timeout
        what = "no result and not voided"
    elif state.status is ResultStatus.DISPUTED:
        due, what = state.deadline, "the arbiter has not ruled and the round is not voided"
    elif state.status is ResultStatus.REJECTED:
        due, what = state.deadline, "no corrected result and the round is not voided"
    else:
        due, what = state.deadline, "the final result is not settled and the round is not closed"
    if clock >= due:
        problems.append(f"round {info.round_id} is {clock - due} s past its deadline: {what}")
    verdict.add(
        "round.deadline", problems, f"within its deadline ({due - clock} s left on the community clock)"
    )


def state_problems(reader: ChainReader, round_id: int, state: RoundResult) -> list[str]:
    """Differences between the replayed state and the commitment the contract stores."""
    stored = bytes(reader.clients.clearing.contract.functions.commitmentOf(round_id).call())
    expected = state.commitment()
    if stored != expected:
        return [f"the events' result state commits to 0x{expected.hex()}, the contract to 0x{stored.hex()}"]
    return []


def check_posted(
    verdict: RoundVerdict, reader: ChainReader, log: Log, info: RoundInfo, state: RoundResult
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
    signers, threshold = reader.registry().signers_at(log.position, reader.block_time(log.block))
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


def load_document(
    verdict: RoundVerdict, store: DocumentSource, result: ClearingResult
) -> dict[str, Any] | None:
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
    verdict: RoundVerdict, store: DocumentSource, info: RoundInfo, config_hash: str
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
