"""What every contract client shares: the one write path.

Every state-changing call of a typed client goes through :meth:`ContractClient._transact`, signed by
a *signer*: either a :class:`~flexunity.chain.rpc.Sender` (a local key: explicit nonces, batch sends,
retries, resends, reverts in words; what the oracle, the CLI and the demo use) or the address of an
account whose key the node holds (eth-tester and the contract tests, the gas report). A call is
estimated first, so a revert becomes a ChainError in words before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from flexunity.chain.retry import retrying
from flexunity.chain.reverts import ErrorDecoder
from flexunity.chain.rpc import Mined, Sender
from flexunity.errors import ChainError

GAS_MARGIN = 1.25
REVERTS: tuple[type[Exception], ...] = (ContractLogicError,)
try:  # eth-tester reports reverts with its own exception
    from eth_tester.exceptions import TransactionFailed

    REVERTS = (ContractLogicError, TransactionFailed)
except ImportError:  # pragma: no cover - eth-tester is a test-only dependency on a pilot
    pass

Signer = Sender | str  # a local key's Sender, or the address of an account the node holds the key of
OnMined = Callable[[Sequence[Mined]], None]
Call = tuple[Any, str]  # a contract function call and its label (what it does, in words)
TX_SUCCESS = 1  # a receipt's status: 1 success, 0 reverted (EIP-658)


def signer_address(signer: Signer) -> str:
    return signer.address if isinstance(signer, Sender) else to_checksum_address(signer)


class ContractClient:
    """One contract: sends that are estimated first and explain their reverts, and calls.

    ``on_mined`` sees every mined transaction (the oracle and the demo count gas per step with it)."""

    def __init__(
        self, w3: Web3, contract: Contract, decoder: ErrorDecoder, on_mined: OnMined | None = None
    ) -> None:
        self.w3, self.contract, self.decoder = w3, contract, decoder
        self.on_mined: OnMined = on_mined or (lambda _: None)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _transact(
        self,
        calls: Sequence[Call],
        signer: Signer,
        *,
        estimate_each: bool = True,
        after_broadcast: Callable[[], None] | None = None,
    ) -> list[Mined]:
        """Send ``calls`` from ``signer`` (together, where a Sender can) and wait for them to be mined.

        ``estimate_each=False`` estimates the first call and uses its gas for all (calls alike);
        ``after_broadcast`` runs once everything is sent and before waiting (a crash point)."""
        if not calls:
            return []
        if isinstance(signer, Sender):
            sent = signer.broadcast(calls, estimate_each=estimate_each)
            if after_broadcast:
                after_broadcast()
            mined = signer.wait_all(sent)
        else:
            mined = [self._transact_by_node(fn, signer, label, after_broadcast) for fn, label in calls]
        self.on_mined(mined)
        return mined

    def _transact_by_node(
        self, fn: Any, sender: str, action: str, after_broadcast: Callable[[], None] | None
    ) -> Mined:
        """One call signed by the node (its account is unlocked there), estimated first, then mined."""
        tx = {"from": to_checksum_address(sender)}
        try:
            gas = fn.estimate_gas(tx)
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None
        tx_hash = fn.transact({**tx, "gas": int(gas * GAS_MARGIN)})
        if after_broadcast:
            after_broadcast()
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != TX_SUCCESS:
            raise ChainError(f"{action} reverted in transaction 0x{bytes(tx_hash).hex()}")
        return Mined(
            action,
            "0x" + bytes(tx_hash).hex(),
            int(receipt["gasUsed"]),
            int(receipt["blockNumber"]),
            TX_SUCCESS,
        )

    def _send(self, fn: Any, signer: Signer, action: str) -> TxReceipt:
        """One call from ``signer``, mined; its receipt (for the events it emitted)."""
        (mined,) = self._transact([(fn, action)], signer)
        return self.receipt(mined)

    def receipt(self, mined: Mined) -> TxReceipt:
        return self.receipt_of(mined.tx_hash)

    def receipt_of(self, tx_hash: str) -> TxReceipt:
        return retrying(lambda: self.w3.eth.get_transaction_receipt(tx_hash), what="receipt")  # type: ignore[arg-type]

    def events_in(self, receipt: TxReceipt, event: str) -> list[Any]:
        """The ``event`` logs of this contract in a receipt (other contracts' logs are skipped)."""
        return list(getattr(self.contract.events, event)().process_receipt(receipt, errors=DISCARD))

    def _call(self, fn: Any, action: str) -> Any:
        try:
            return fn.call()
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None
