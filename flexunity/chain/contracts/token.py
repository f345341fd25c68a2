"""Client of the settlement token (ERC-20; the devnet's FlexTestToken can also mint)."""

from __future__ import annotations

from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient


class TokenClient(ContractClient):
    def mint(self, sender: str, to: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.mint(to, amount), sender, f"minting {amount} for {to}")

    def approve(self, owner: str, spender: str, amount: int) -> TxReceipt:
        return self._send(self.contract.functions.approve(spender, amount), owner, "approving")

    def balance_of(self, account: str) -> int:
        return int(self.contract.functions.balanceOf(account).call())

    def decimals(self) -> int:
        return int(self.contract.functions.decimals().call())
