"""Why a transaction is stuck or reverted: the diagnoses the ``Sender`` adds to its errors.

A nonce gap or a lost transaction when receipts do not come; the revert reason of a mined transaction
replayed before its block, with the block's own time, then after the block.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from flexunity.chain.jsonrpc import is_http
from flexunity.chain.reverts import ErrorDecoder

if TYPE_CHECKING:
    from flexunity.chain.rpc import Sent


class SendDiagnosis:
    """The diagnoses of a sender of ``account``'s transactions on ``w3`` (mixed into ``Sender``)."""

    w3: Web3
    account: Any
    decoder: ErrorDecoder

    @property
    def address(self) -> str:
        return str(self.account.address)

    def _nonce_diagnosis(self, stuck: list[Sent]) -> str:
        """Why transactions may be stuck: a nonce gap means another process used this key."""
        try:
            mined = int(self.w3.eth.get_transaction_count(self.account.address, "latest"))
        except Exception:  # the diagnosis must not hide the timeout itself
            return ""
        first = min((s.nonce for s in stuck), default=mined)
        if first > mined:
            return (
                f"; {self.address} has {mined} mined transactions but ours start at nonce {first}: "
                "a nonce gap (is another process sending with this key?)"
            )
        return f"; the node has mined {mined} transactions of {self.address}{self._pool_diagnosis(stuck)}"

    def _pool_diagnosis(self, stuck: list[Sent]) -> str:
        """Does the node still hold the first stuck transaction, and can it pay the base fee now?
        (Says whether the node stopped mining it or lost it, and why.)"""
        if not stuck:
            return ""
        first = min(stuck, key=lambda s: s.nonce)
        parts = []
        with contextlib.suppress(Exception):
            tx = self.w3.eth.get_transaction(first.tx_hash)  # type: ignore[arg-type]
            base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
            price = int(tx.get("maxFeePerGas", tx.get("gasPrice", 0)))
            parts.append(f"nonce {first.nonce} is in its pool, priced {price} wei/gas, base fee now {base}")
        if not parts:
            parts.append(f"the node does not know nonce {first.nonce}'s transaction any more (lost)")
        with contextlib.suppress(Exception):
            status = self.w3.provider.make_request("txpool_status", [])["result"]  # type: ignore[arg-type]
            parts.append(f"pool {int(status['pending'], 16)} pending, {int(status['queued'], 16)} queued")
        return "; " + ", ".join(parts)

    def why_reverted(self, tx_hash: str) -> str:
        """Replay a reverted transaction with eth_call at its block to read the revert data."""
        try:
            tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            call = {
                "from": tx["from"],
                "to": tx["to"],
                "data": tx["input"],
                "value": tx["value"],
                "gas": tx["gas"],
            }
            block = tx["blockNumber"]
        except Exception as exc:  # the replay itself failed: say so rather than hide the revert
            return f"(could not replay: {exc})"
        # Before its block first; then before it with the block's own time (a gate closure passed in
        # that block); if both pass, a transaction earlier in the same block changed the state it
        # reverted on (say another post of the same result): replay it after the block.
        reason = self._replay_at(call, block - 1 if block else "latest", "")
        if reason is None and block:
            reason = self._replay_in_block(call, block) or self._replay_at(
                call,
                block,
                " (replayed after its block: an earlier transaction in the same block made it revert)",
            )
        if reason:
            return reason
        if tx["gas"] and self._gas_used(tx_hash) >= int(tx["gas"]):
            return f"out of gas (it used all its {tx['gas']} gas)"
        return "reverted only in its original position in the block; the replays before and after pass"

    def _replay_at(self, call: dict[str, Any], at: Any, note: str) -> str | None:
        """The revert reason of ``call`` on the state at block ``at`` (with ``note``), None if it passes."""
        try:
            self.w3.eth.call(call, at)  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            return self.decoder.explain_exception(exc) + note
        except Exception as exc:  # the replay itself failed: say so rather than hide the revert
            return f"(could not replay: {exc})"
        return None

    def _gas_used(self, tx_hash: str) -> int:
        try:
            return int(self.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])  # type: ignore[arg-type]
        except Exception:  # no receipt to read: no claim about gas
            return 0

    def _replay_in_block(self, call: dict[str, Any], number: int) -> str:
        """Replay on the state before the block, with the block's own time and number (eth_call's block
        overrides, anvil and geth): a call that depends on time (a gate closure) then reverts as it did,
        where a plain replay runs under the previous block's older time. '' if that does not tell."""
        if not is_http(self.w3):
            return ""
        try:
            block = self.w3.eth.get_block(number)
            plain = {k: hex(v) if isinstance(v, int) else v for k, v in call.items()}
            overrides = {"time": hex(int(block["timestamp"])), "number": hex(number)}
            answer = self.w3.provider.make_request(
                "eth_call",  # type: ignore[arg-type]
                [plain, hex(number - 1), {}, overrides],
            )
        except Exception:  # the node cannot replay with overrides: fall back to the plain answer
            return ""
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            return ""
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.decoder.explain(data)
        return str(error.get("message", ""))
