"""Client of ClearingHouse: signed results, the challenge window, disputes, voiding, bonds."""

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
        state = self.round_result(round_id).as_tuple()
        return self._send(
            self.contract.functions.voidRound(round_id, state), sender, f"voiding round {round_id}"
        )

    def withdraw_bond(self, sender: str, to: str | None = None) -> TxReceipt:
        return self._send(
            self.contract.functions.withdrawBond(to or sender), sender, "withdrawing owed bonds"
        )

    def round_result(self, round_id: int, from_block: int = 0) -> RoundResult:
        """The round's current result state from events, checked against the stored commitment."""
        filters = {"roundId": round_id}
        events = self.contract.events
        posted = events.ResultPosted().get_logs(from_block=from_block, argument_filters=filters)
        changed = events.ResultStateChanged().get_logs(from_block=from_block, argument_filters=filters)
        logs = sorted([*posted, *changed], key=lambda log: (log["blockNumber"], log["logIndex"]))
        state = RoundResult.from_event(logs[-1]["args"]["state"]) if logs else NO_RESULT
        stored = bytes(self.contract.functions.commitmentOf(round_id).call())
        if stored != state.commitment():
            raise ChainError(f"round {round_id}: the result events do not match the stored commitment")
        return state

    def is_final(self, round_id: int) -> bool:
        state = self.round_result(round_id)
        return bool(self.contract.functions.isFinal(round_id, state.as_tuple()).call())

    def is_void(self, round_id: int) -> bool:
        return bool(self.contract.functions.isVoid(round_id).call())

    def rejections(self, round_id: int) -> int:
        """Results of the round rejected so far: the attempt number the next result must carry."""
        return int(self.contract.functions.rejections(round_id).call())

    def bond_owed(self, account: str) -> int:
        return int(self.contract.functions.bondOwed(account).call())

    def dispute_bond(self) -> int:
        return int(self.contract.functions.config().call()[4])

    def challenge_window(self) -> int:
        return int(self.contract.functions.config().call()[0])

    def settlement_window(self) -> int:
        return int(self.contract.functions.config().call()[3])


__all__ = ["ClearingClient", "ResultStatus"]
