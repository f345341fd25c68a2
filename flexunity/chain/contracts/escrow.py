"""Client of SettlementEscrow: deposits, withdrawals, Merkle-proved settlement batches, the exits of a
round that did not settle in time (close, refund) and the release of finished rounds' commitments."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eth_utils import to_checksum_address
from web3.types import TxReceipt

from flexunity.chain.contracts.base import Call, ContractClient, Signer, signer_address
from flexunity.chain.contracts.records import EscrowAccount, RoundResult, SettlementProgress
from flexunity.chain.rpc import Mined
from flexunity.chain.settlement import SettlementLeaf, SettlementTree
from flexunity.errors import ChainError

# Leaves per applySettlements call: 100 proofs of ~10 hashes stay far below a block's gas limit while
# keeping the transactions of a few hundred peers' round to a handful (measured by `flexunity bench`).
SETTLE_BATCH_SIZE = 100
REFUND_BATCH_SIZE = 50  # debits per refundDebits call (a closed round's exit; rare, kept small)


class EscrowClient(ContractClient):
    def deposit(self, sender: Signer, amount: int, account: str | None = None) -> TxReceipt:
        account = account or signer_address(sender)
        return self._send(
            self.contract.functions.deposit(account, amount), sender, f"depositing {amount} for {account}"
        )

    def withdraw(self, sender: Signer, amount: int, to: str | None = None) -> TxReceipt:
        me = signer_address(sender)
        available = self.withdrawable(me)
        if amount > available:
            raise ChainError(f"{me} can withdraw {available} now, not {amount} (committed or too small)")
        fn = self.contract.functions.withdraw(amount, to or me)
        return self._send(fn, sender, f"withdrawing {amount}")

    def apply_settlements(
        self,
        sender: Signer,
        tree: SettlementTree,
        state: RoundResult,
        *,
        batch_size: int = SETTLE_BATCH_SIZE,
        leaves: Sequence[SettlementLeaf] | None = None,
        between_waves: Callable[[str], None] | None = None,
    ) -> list[Mined]:
        """Apply the round's pending leaves (of ``leaves``, default all) in batches: every debit batch
        first, then the credits they cover; the batches of one wave are sent together.

        The batch that completes the round is sent alone, last, once the others are mined: it also
        marks the round settled and advances the finished-rounds mark, gas that an estimate made
        while other batches of its wave are still unmined does not see (it ran out of gas, found by
        the fault tier: killed between the waves, restarted, credits in two batches).
        ``between_waves("debits" | "credits")`` runs after each wave (a crash point of the oracle).
        ``state`` is ``ClearingClient.round_result(round_id)``. A round without leaves is completed by
        one call with no leaves.
        """
        round_id = tree.round_id
        chosen = list(tree.leaves if leaves is None else leaves)
        pending = self._unapplied(round_id, chosen)
        fn = self.contract.functions.applySettlements

        def call(batch: Sequence[SettlementLeaf]) -> Call:
            values, proofs = [x.as_tuple() for x in batch], [tree.proof(x.index) for x in batch]
            return fn(round_id, state.as_tuple(), values, proofs), f"settle {len(batch)} leaves"

        if not tree.leaves and leaves is None and not self.progress(round_id).complete:
            return self._transact([call([])], sender)
        waves = [[x for x in pending if not x.is_credit], [x for x in pending if x.is_credit]]
        mined: list[Mined] = []
        for k, wave in enumerate(waves):
            calls = [call(wave[i : i + batch_size]) for i in range(0, len(wave), batch_size)]
            last_wave = not any(waves[k + 1 :])
            groups = [calls[:-1], calls[-1:]] if last_wave and len(calls) > 1 else [calls]
            for group in groups:
                mined += self._transact(group, sender, estimate_each=True)
            if between_waves:
                between_waves("debits" if wave and not wave[0].is_credit else "credits")
        return mined

    def _unapplied(self, round_id: int, leaves: Sequence[SettlementLeaf]) -> list[SettlementLeaf]:
        """``leaves`` not yet applied, in index order (one read when none or all of the round are)."""
        applied = self.progress(round_id).applied
        if applied:
            leaves = [x for x in leaves if not self.is_applied(round_id, x.index)]
        return sorted(leaves, key=lambda x: x.index)

    def close_round(self, sender: Signer, round_id: int, state: RoundResult) -> TxReceipt:
        """Close a final round that did not settle by its deadline (its applied debits become refundable)."""
        fn = self.contract.functions.closeRound(round_id, state.as_tuple())
        return self._send(fn, sender, f"closing round {round_id} after its settlement deadline")

    def refund_debits(self, sender: Signer, tree: SettlementTree, state: RoundResult) -> list[TxReceipt]:
        """Refund every applied debit leaf of a closed round, in batches."""
        debits = [leaf for leaf in tree.leaves if not leaf.is_credit and leaf.amount > 0]
        debits = [leaf for leaf in debits if self.is_applied(tree.round_id, leaf.index)]
        receipts = []
        for i in range(0, len(debits), REFUND_BATCH_SIZE):
            batch = debits[i : i + REFUND_BATCH_SIZE]
            fn = self.contract.functions.refundDebits(
                tree.round_id, state.as_tuple(), [leaf.as_tuple() for leaf in batch],
                [tree.proof(leaf.index) for leaf in batch],
            )  # fmt: skip
            receipts.append(self._send(fn, sender, f"refunding {len(batch)} debits of round {tree.round_id}"))
        return receipts

    def release(self, sender: Signer, peer: str, round_ids: Sequence[int]) -> TxReceipt | None:
        """End ``peer``'s commitments to finished rounds (skips those already released or unfinished)."""
        if not round_ids:
            return None
        fn = self.contract.functions.release(peer, list(round_ids))
        return self._send(fn, sender, f"releasing {peer}'s commitments to rounds {list(round_ids)}")

    def release_each(self, sender: Signer, peers: Sequence[str], round_id: int) -> list[Mined]:
        """Release each of ``peers`` from round ``round_id``, one call per peer, sent together."""
        fn = self.contract.functions.release
        calls = [
            (fn(to_checksum_address(p), [round_id]), f"release {p} from round {round_id}") for p in peers
        ]
        return self._transact(calls, sender, estimate_each=False)

    def progress(self, round_id: int) -> SettlementProgress:
        return SettlementProgress.from_call(self.contract.functions.progress(round_id).call())

    def progress_complete(self, round_id: int) -> bool:
        return self.progress(round_id).complete

    def is_closed(self, round_id: int) -> bool:
        return self.progress(round_id).closed

    def is_finished(self, round_id: int) -> bool:
        return bool(self.contract.functions.isFinished(round_id).call())

    def account(self, account: str) -> EscrowAccount:
        balance, debt = self.contract.functions.accountOf(account).call()
        return EscrowAccount(balance, debt)

    def withdrawable(self, account: str) -> int:
        return int(self.contract.functions.withdrawable(account).call())

    def is_applied(self, round_id: int, index: int) -> bool:
        return bool(self.contract.functions.isApplied(round_id, index).call())
