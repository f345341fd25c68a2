"""Client of ClearingHouse: signed results, the challenge window, disputes, voiding, bonds."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient, Signer, signer_address
from flexunity.chain.contracts.records import NO_RESULT, ClearingConfig, ResultStatus, RoundResult
from flexunity.chain.eip712 import CLEARING_HOUSE_NAME, ClearingResult, Domain
from flexunity.chain.rpc import Mined
from flexunity.errors import ChainError


class ClearingClient(ContractClient):
    def domain(self) -> Domain:
        return Domain(CLEARING_HOUSE_NAME, self.w3.eth.chain_id, self.address)

    def post_result(self, sender: Signer, result: ClearingResult, signatures: Sequence[bytes]) -> TxReceipt:
        return self.receipt(self.post_result_mined(sender, result, signatures))

    def post_result_mined(
        self,
        sender: Signer,
        result: ClearingResult,
        signatures: Sequence[bytes],
        *,
        after_broadcast: Callable[[], None] | None = None,
    ) -> Mined:
        """Post a signed result; ``after_broadcast`` runs once it is sent, before it is mined."""
        fn = self.contract.functions.postResult(result.as_tuple(), list(signatures))
        label = f"post result of round {result.round_id}"
        (mined,) = self._transact([(fn, label)], sender, after_broadcast=after_broadcast)
        return mined

    def hash_result(self, result: ClearingResult) -> bytes:
        return bytes(self.contract.functions.hashResult(result.as_tuple()).call())

    def dispute(self, sender: Signer, round_id: int, reason_hash: bytes) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.dispute(round_id, state, reason_hash)
        return self._send(fn, sender, f"disputing round {round_id}")

    def resolve(self, arbiter: Signer, round_id: int, uphold: bool) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        fn = self.contract.functions.resolveDispute(round_id, state, uphold)
        return self._send(fn, arbiter, f"resolving the dispute of round {round_id}")

    def void(self, sender: Signer, round_id: int) -> TxReceipt:
        state = self.round_result(round_id).as_tuple()
        return self._send(
            self.contract.functions.voidRound(round_id, state), sender, f"voiding round {round_id}"
        )

    def withdraw_bond(self, sender: Signer, to: str | None = None) -> TxReceipt:
        return self._send(
            self.contract.functions.withdrawBond(to or signer_address(sender)),
            sender,
            "withdrawing owed bonds",
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

    def is_final(self, round_id: int, state: RoundResult | None = None) -> bool:
        state = state or self.round_result(round_id)
        return bool(self.contract.functions.isFinal(round_id, state.as_tuple()).call())

    def posted_document_hash(self, round_id: int, from_block: int = 0) -> bytes | None:
        """The documentHash of the round's latest ``ResultPosted`` event (None: never posted)."""
        logs = self.contract.events.ResultPosted().get_logs(
            from_block=from_block, argument_filters={"roundId": round_id}
        )
        return bytes(logs[-1]["args"]["result"]["documentHash"]) if logs else None

    def is_void(self, round_id: int) -> bool:
        return bool(self.contract.functions.isVoid(round_id).call())

    def rejections(self, round_id: int) -> int:
        """Results of the round rejected so far: the attempt number the next result must carry."""
        return int(self.contract.functions.rejections(round_id).call())

    def bond_owed(self, account: str) -> int:
        return int(self.contract.functions.bondOwed(account).call())

    def config(self) -> ClearingConfig:
        return ClearingConfig.from_call(self.contract.functions.config().call())

    def dispute_bond(self) -> int:
        return self.config().dispute_bond

    def challenge_window(self) -> int:
        return self.config().challenge_window

    def settlement_window(self) -> int:
        return self.config().settlement_window


__all__ = ["ClearingClient", "ResultStatus"]
