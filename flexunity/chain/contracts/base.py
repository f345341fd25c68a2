"""What every contract client shares: a call is estimated first (a revert becomes a ChainError in
words, before anything is sent), sent with a gas margin, and its receipt checked."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from flexunity.chain.reverts import ErrorDecoder
from flexunity.errors import ChainError

GAS_MARGIN = 1.25
REVERTS: tuple[type[Exception], ...] = (ContractLogicError,)
try:  # eth-tester reports reverts with its own exception
    from eth_tester.exceptions import TransactionFailed

    REVERTS = (ContractLogicError, TransactionFailed)
except ImportError:  # pragma: no cover - eth-tester is a test-only dependency on a pilot
    pass


class ContractClient:
    """One contract: sends that are estimated first and explain their reverts, and calls."""

    def __init__(self, w3: Web3, contract: Contract, decoder: ErrorDecoder) -> None:
        self.w3, self.contract, self.decoder = w3, contract, decoder

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _send(self, fn: Any, sender: str, action: str) -> TxReceipt:
        tx = {"from": to_checksum_address(sender)}
        try:
            gas = fn.estimate_gas(tx)
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None
        tx_hash = fn.transact({**tx, "gas": int(gas * GAS_MARGIN)})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise ChainError(f"{action} reverted in transaction 0x{bytes(tx_hash).hex()}")
        return receipt

    def _call(self, fn: Any, action: str) -> Any:
        try:
            return fn.call()
        except REVERTS as exc:
            raise self.decoder.chain_error(action, exc) from None
