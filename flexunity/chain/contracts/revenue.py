"""Client of RevenueDistributor: distributions, claims, the carry of swept rests."""

from __future__ import annotations

from collections.abc import Sequence

from web3.logs import DISCARD
from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient
from flexunity.chain.settlement import RevenueLeaf


class RevenueClient(ContractClient):
    def create_distribution(
        self,
        sender: str,
        root: bytes,
        total: int,
        claim_deadline: int,
        document_hash: bytes,
        *,
        round_id: int,
        activations_hash: bytes = b"\0" * 32,
    ) -> int:
        """Create round ``round_id``'s distribution of ``total`` (at most one per round: a second is
        refused with ``DistributionExists``); the contract takes min(carry, total) from its carry pool
        and pulls the rest from ``sender`` (approve at least :meth:`to_pull` first)."""
        fn = self.contract.functions.createDistribution(
            round_id, activations_hash, root, total, claim_deadline, document_hash
        )
        receipt = self._send(fn, sender, "creating a revenue distribution")
        (event,) = self.contract.events.DistributionCreated().process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["distributionId"])

    def distribution_of_round(self, round_id: int) -> int:
        """The round's distribution id (0: none yet)."""
        return int(self.contract.functions.distributionOfRound(round_id).call())

    def claim(self, sender: str, leaf: RevenueLeaf, proof: Sequence[bytes]) -> TxReceipt:
        fn = self.contract.functions.claim(leaf.as_tuple(), list(proof))
        return self._send(fn, sender, f"claiming share {leaf.index} of distribution {leaf.distribution_id}")

    def sweep(self, sender: str, distribution_id: int) -> TxReceipt:
        return self._send(
            self.contract.functions.sweep(distribution_id), sender, f"sweeping {distribution_id}"
        )

    def is_claimed(self, distribution_id: int, index: int) -> bool:
        return bool(self.contract.functions.isClaimed(distribution_id, index).call())

    def carry(self) -> int:
        """Swept rests held for later distributions (base units)."""
        return int(self.contract.functions.carry().call())

    def to_pull(self, total: int) -> int:
        """What a distribution of ``total`` created now pulls from the CM: total − min(carry, total)."""
        return total - min(self.carry(), total)
