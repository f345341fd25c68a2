"""Client of ClearingHouse: signed results, the challenge window, disputes, voiding."""

from __future__ import annotations

from collections.abc import Sequence

from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient
from flexunity.chain.contracts.records import NO_RESULT, ResultStatus, RoundResult
from flexunity.chain.eip712 import CLEARING_HOUSE_NAME, ClearingResult, Domain
from flexunity.errors import ChainError


class ClearingClient(ContractClient):
    def domain(self) -> Domain:
        return Domain(CLEARING_HOUSE_NAME, self.w3.eth.chain_id, self.address)

    def post_result(self, sender: str, result: ClearingResult, signatures: Sequence[bytes]) -> TxReceipt:
        fn = self.contract.functions.postResult(result.as_tuple(), list(signatures))
        return self._send(fn, sender, f"posting the result of round {result.round_id}")

    def hash_result(self, result: ClearingResult) -> bytes:
        return bytes(self.contract.functions.hashResult(result.as_tuple()).call())

    def dispute(self, sender: str, round_id: int, reason_hash: bytes) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.dispute(round_id, state, reason_hash)
        return self._send(fn, sender, f"disputing round {round_id}")

    def resolve(self, arbiter: str, round_id: int, uphold: bool) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.resolveDispute(round_id, state, uphold)
        return self._send(fn, arbiter, f"resolving the dispute of round {round_id}")

    def void(self, sender: str, round_id: int) -> TxReceipt:
        return self._send(self.contract.functions.voidRound(round_id), sender, f"voiding round {round_id}")

    def round_result(self, round_id: int, from_block: int = 0) -> RoundResult:
        """The round's current result state from events, checked against the stored commitment."""
        filters = {"roundId": round_id}
        events = self.contract.events
        posted = events.ResultPosted().get_logs(from_block=from_block, argument_filters=filters)
        changed = events.ResultStateChanged().get_logs(from_block=from_block, argument_filters=filters)
        logs = sorted([*posted, *changed], key=lambda log: (log["blockNumber"], log["logIndex"]))
        state = NO_RESULT
        if logs:
            last = logs[-1]
            if last["event"] == "ResultPosted":
                r = last["args"]["result"]
                state = RoundResult(
                    bytes(r["resultsRoot"]), r["totalDebit"], last["args"]["challengeEnds"], r["leafCount"],
                    ResultStatus.POSTED,
                )  # fmt: skip
            else:
                a = last["args"]["state"]
                status = ResultStatus(a["status"])
                if status is ResultStatus.NONE:
                    status = ResultStatus.REJECTED
                state = RoundResult(
                    bytes(a["resultsRoot"]), a["totalDebit"], a["challengeEnds"], a["leafCount"], status
                )
        stored = bytes(self.contract.functions.commitmentOf(round_id).call())
        expected = (
            b"\0" * 32 if state.status in (ResultStatus.NONE, ResultStatus.REJECTED) else state.commitment()
        )
        if stored != expected:
            raise ChainError(f"round {round_id}: the result events do not match the stored commitment")
        return state

    def is_final(self, round_id: int) -> bool:
        state = self.round_result(round_id)
        return bool(self.contract.functions.isFinal(round_id, state.as_tuple()).call())

    def dispute_bond(self) -> int:
        return int(self.contract.functions.config().call()[2])

    def challenge_window(self) -> int:
        return int(self.contract.functions.config().call()[0])
