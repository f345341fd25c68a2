"""Client of the settlement token (ERC-20; the devnet's FlexTestToken can also mint)."""

from __future__ import annotations

from collections.abc import Sequence

from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient, Signer
from flexunity.chain.rpc import Mined


class TokenClient(ContractClient):
    def mint(self, sender: Signer, to: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.mint(to, amount), sender, f"minting {amount} for {to}")

    def mint_many(self, sender: Signer, amounts: Sequence[tuple[str, int]]) -> list[Mined]:
        """Mint test tokens for each (address, amount), one call each, sent together."""
        fn = self.contract.functions.mint
        calls = [(fn(to, amount), f"mint {amount} for {to}") for to, amount in amounts]
        return self._transact(calls, sender, estimate_each=False)

    def approve(self, owner: Signer, spender: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.approve(spender, amount), owner, "approving")

    def balance_of(self, account: str) -> int:
        return int(self.contract.functions.balanceOf(account).call())

    def decimals(self) -> int:
        return int(self.contract.functions.decimals().call())

    def symbol(self) -> str:
        return str(self.contract.functions.symbol().call())
