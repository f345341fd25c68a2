"""The audit flags what the contracts now refuse: a debit of an account without an order, a rejected
result posted again (or an attempt out of sequence), a round past the deadline of its state."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flexunity.audit import result, settlement
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.contracts import NO_RESULT, ResultStatus, RoundInfo, RoundResult
from flexunity.chain.contracts.records import ROUND_RESULT_FIELDS, ClearingConfig
from flexunity.chain.reader import Log
from flexunity.chain.settlement import SettlementLeaf

PEER, BYSTANDER = "0x" + "11" * 20, "0x" + "22" * 20


def _order(peer: str) -> Log:
    return Log("OrderAccepted", {"peer": peer, "roundId": 1}, 10, 0, "0x")


def test_a_debit_without_an_order_is_flagged() -> None:
    verdict = RoundVerdict(1)
    debits = [(PEER, 5), (BYSTANDER, 7), (BYSTANDER, 0)]
    leaves = [SettlementLeaf(1, i, account, amount, False) for i, (account, amount) in enumerate(debits)]
    settlement.check_debits_have_orders(verdict, [_order(PEER)], leaves)
    check = verdict.check("settlement.debits")
    assert check is not None and not check.passed
    assert "leaf 1 debits 7" in check.detail and "leaf 2" not in check.detail  # a zero debit is no debit


class _Reader:
    """Just enough of a ChainReader for the result checks: given logs, a clock, a finished flag."""

    def __init__(self, logs: list[Log], clock: int = 0, finished: bool = False, timeout: int = 100) -> None:
        escrow = SimpleNamespace(isFinished=lambda _r: SimpleNamespace(call=lambda: finished))
        config = ClearingConfig(challenge_window=3600, result_timeout=timeout, ruling_timeout=0,
                                settlement_window=0, dispute_bond=0)  # fmt: skip
        self.clients = SimpleNamespace(
            clearing=SimpleNamespace(contract=SimpleNamespace(), config=lambda: config),
            escrow=SimpleNamespace(contract=SimpleNamespace(functions=escrow)),
            registry=SimpleNamespace(clock=lambda: clock),
        )
        self._logs = logs

    def logs(self, _contract: Any, names: tuple[str, ...], **_filters: Any) -> list[Log]:
        return [log for log in self._logs if log.name in names]


def _posted(block: int, result_hash: bytes, attempt: int) -> Log:
    fields = dict.fromkeys(result.FIELDS, 0)
    fields.update(attempt=attempt, orderDigest=b"\0" * 32, resultsRoot=b"\0" * 32, documentHash=b"\0" * 32)
    return Log("ResultPosted", {"resultHash": result_hash, "result": fields, "state": {}}, block, 0, "0x")


def _changed(block: int, status: ResultStatus, attempt: int = 0, deadline: int = 0) -> Log:
    state = dict(zip(ROUND_RESULT_FIELDS, [b"\0" * 32, 0, 0, deadline, 0, attempt, int(status)], strict=True))
    return Log("ResultStateChanged", {"state": state}, block, 0, "0x")


def test_a_rejected_result_posted_again_is_flagged() -> None:
    logs = [
        _posted(1, b"\xaa" * 32, 0),
        _changed(2, ResultStatus.DISPUTED),
        _changed(3, ResultStatus.REJECTED, attempt=1),
        _posted(4, b"\xaa" * 32, 0),  # the same signed result again
    ]
    verdict = RoundVerdict(1)
    result.check_attempts(verdict, _Reader(logs), 1)  # type: ignore[arg-type]
    check = verdict.check("result.attempts")
    assert check is not None and not check.passed
    assert "re-posted the rejected result" in check.detail and "attempt 0" in check.detail
    verdict = RoundVerdict(1)
    result.check_attempts(verdict, _Reader([*logs[:3], _posted(4, b"\xbb" * 32, 1)]), 1)  # type: ignore[arg-type]
    assert verdict.check("result.attempts").passed  # type: ignore[union-attr]


def test_a_round_past_its_deadline_is_flagged() -> None:
    info = RoundInfo(1, 2000, 1000, 3600, 24, 0, b"\0" * 32, b"\0" * 32, paused_before=0)
    none = NO_RESULT
    verdict = RoundVerdict(1)
    result.check_deadline(verdict, _Reader([], clock=1200, timeout=100), info, none)  # type: ignore[arg-type]
    check = verdict.check("round.deadline")
    assert check is not None and not check.passed and "100 s past its deadline" in check.detail
    disputed = RoundResult(b"\0" * 32, 0, 0, 0, ResultStatus.DISPUTED, deadline=5000)
    verdict = RoundVerdict(1)
    result.check_deadline(verdict, _Reader([], clock=4000), info, disputed)  # type: ignore[arg-type]
    assert verdict.check("round.deadline").passed  # type: ignore[union-attr]
    verdict = RoundVerdict(1)
    result.check_deadline(verdict, _Reader([], clock=9000, finished=True), info, disputed)  # type: ignore[arg-type]
    assert verdict.check("round.deadline").passed  # type: ignore[union-attr]
