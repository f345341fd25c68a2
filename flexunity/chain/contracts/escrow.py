"""Client of SettlementEscrow: deposits, withdrawals, Merkle-proved settlement batches, the exits of a
round that did not settle in time (close, refund) and the release of finished rounds' commitments."""

from __future__ import annotations

from collections.abc import Sequence

from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient
from flexunity.chain.contracts.records import EscrowAccount, RoundResult
from flexunity.chain.settlement import SettlementLeaf, SettlementTree
from flexunity.errors import ChainError


class EscrowClient(ContractClient):
    def deposit(self, sender: str, amount: int, account: str | None = None) -> TxReceipt:
        account = account or sender
        return self._send(
            self.contract.functions.deposit(account, amount), sender, f"depositing {amount} for {account}"
        )

    def withdraw(self, sender: str, amount: int, to: str | None = None) -> TxReceipt:
        available = self.withdrawable(sender)
        if amount > available:
            raise ChainError(f"{sender} can withdraw {available} now, not {amount} (committed or too small)")
        fn = self.contract.functions.withdraw(amount, to or sender)
        return self._send(fn, sender, f"withdrawing {amount}")

    def apply_settlements(
        self,
        sender: str,
        tree: SettlementTree,
        state: RoundResult,
        *,
        batch_size: int = 50,
        leaves: Sequence[SettlementLeaf] | None = None,
    ) -> list[TxReceipt]:
        """Apply the round's pending leaves in batches, every debit before any credit.

        ``state`` is ``ClearingClient.round_result(round_id)``. A round without leaves is completed
        by one call with no leaves.
        """
        chosen = tree.leaves if leaves is None else leaves
        pending = [leaf for leaf in chosen if not self.is_applied(tree.round_id, leaf.index)]
        pending.sort(key=lambda leaf: (leaf.is_credit, leaf.index))
        batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
        if not tree.leaves and not self.progress_complete(tree.round_id):
            batches = [[]]
        receipts = []
        for batch in batches:
            fn = self.contract.functions.applySettlements(
                tree.round_id,
                state.as_tuple(),
                [leaf.as_tuple() for leaf in batch],
                [tree.proof(leaf.index) for leaf in batch],
            )
            receipts.append(self._send(fn, sender, f"applying {len(batch)} leaves of round {tree.round_id}"))
        return receipts

    def close_round(self, sender: str, round_id: int, state: RoundResult) -> TxReceipt:
        """Close a final round that did not settle by its deadline (its applied debits become refundable)."""
        fn = self.contract.functions.closeRound(round_id, state.as_tuple())
        return self._send(fn, sender, f"closing round {round_id} after its settlement deadline")

    def refund_debits(self, sender: str, tree: SettlementTree, state: RoundResult) -> list[TxReceipt]:
        """Refund every applied debit leaf of a closed round, in batches of 50."""
        debits = [leaf for leaf in tree.leaves if not leaf.is_credit and leaf.amount > 0]
        debits = [leaf for leaf in debits if self.is_applied(tree.round_id, leaf.index)]
        receipts = []
        for i in range(0, len(debits), 50):
            batch = debits[i : i + 50]
            fn = self.contract.functions.refundDebits(
                tree.round_id, state.as_tuple(), [leaf.as_tuple() for leaf in batch],
                [tree.proof(leaf.index) for leaf in batch],
            )  # fmt: skip
            receipts.append(self._send(fn, sender, f"refunding {len(batch)} debits of round {tree.round_id}"))
        return receipts

    def release(self, sender: str, peer: str, round_ids: Sequence[int]) -> TxReceipt | None:
        """End ``peer``'s commitments to finished rounds (skips those already released or unfinished)."""
        if not round_ids:
            return None
        fn = self.contract.functions.release(peer, list(round_ids))
        return self._send(fn, sender, f"releasing {peer}'s commitments to rounds {list(round_ids)}")

    def progress_complete(self, round_id: int) -> bool:
        return bool(self.contract.functions.progress(round_id).call()[3])

    def is_closed(self, round_id: int) -> bool:
        return bool(self.contract.functions.progress(round_id).call()[4])

    def is_finished(self, round_id: int) -> bool:
        return bool(self.contract.functions.isFinished(round_id).call())

    def account(self, account: str) -> EscrowAccount:
        balance, debt = self.contract.functions.accountOf(account).call()
        return EscrowAccount(balance, debt)

    def withdrawable(self, account: str) -> int:
        return int(self.contract.functions.withdrawable(account).call())

    def is_applied(self, round_id: int, index: int) -> bool:
        return bool(self.contract.functions.isApplied(round_id, index).call())
