"""Client of RevenueDistributor: distributions, claims, the carry of swept rests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web3.logs import DISCARD
from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient
from flexunity.chain.settlement import RevenueLeaf


@dataclass(frozen=True)
class DistributionInfo:
    """A distribution as the contract stores it (``IRevenueDistributor.Distribution``), by field name."""

    round_id: int
    claim_deadline: int  # community-clock time
    swept: bool
    carried: bool  # a carry was taken in: claims pay pro rata
    total: int  # revenue + the carry taken in
    claimed: int  # paid out so far
    root: bytes
    revenue: int  # new revenue deposited by the CM: the leaves' shares sum to it
    activations_hash: bytes

    @property
    def carried_in(self) -> int:
        return self.total - self.revenue


class RevenueClient(ContractClient):
    def create_distribution(
        self,
        sender: str,
        root: bytes,
        revenue: int,
        claim_deadline: int,
        document_hash: bytes,
        *,
        round_id: int,
        activations_hash: bytes = b"\0" * 32,
    ) -> int:
        """Create round ``round_id``'s distribution of new revenue ``revenue``, pulled from ``sender``
        (approve it first); the contract takes the whole carry pool in with it and pays it out pro rata
        to the shares (at most one distribution per round: a second is ``DistributionExists``)."""
        fn = self.contract.functions.createDistribution(
            round_id, activations_hash, root, revenue, claim_deadline, document_hash
        )
        receipt = self._send(fn, sender, "creating a revenue distribution")
        (event,) = self.contract.events.DistributionCreated().process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["distributionId"])

    def distribution(self, distribution_id: int) -> DistributionInfo:
        """The stored distribution (all zero when it does not exist)."""
        fields = self.contract.functions.distribution(distribution_id).call()
        round_id, deadline, swept, carried, total, claimed, root, revenue, activations = fields
        return DistributionInfo(
            int(round_id), int(deadline), bool(swept), bool(carried), int(total), int(claimed), bytes(root),
            int(revenue), bytes(activations),
        )  # fmt: skip

    def distribution_of_round(self, round_id: int) -> int:
        """The round's distribution id (0: none yet)."""
        return int(self.contract.functions.distributionOfRound(round_id).call())

    def document_hash_of(self, distribution_id: int, from_block: int = 0) -> bytes | None:
        """The ``documentHash`` of distribution ``distribution_id``'s creation event (None: no such event)."""
        created = self.contract.events.DistributionCreated()
        logs = created.get_logs(from_block=from_block, argument_filters={"distributionId": distribution_id})
        return bytes(logs[0]["args"]["documentHash"]) if logs else None

    def claim(self, sender: str, leaf: RevenueLeaf, proof: Sequence[bytes]) -> TxReceipt:
        fn = self.contract.functions.claim(leaf.as_tuple(), list(proof))
        return self._send(fn, sender, f"claiming share {leaf.index} of distribution {leaf.distribution_id}")

    def sweep(self, sender: str, distribution_id: int) -> TxReceipt:
        return self._send(
            self.contract.functions.sweep(distribution_id), sender, f"sweeping {distribution_id}"
        )

    def is_claimed(self, distribution_id: int, index: int) -> bool:
        return bool(self.contract.functions.isClaimed(distribution_id, index).call())

    def payout(self, distribution_id: int, share: int) -> int:
        """What a claim of ``share`` pays: ⌊share·total/revenue⌋ (the share plus its part of the carry)."""
        return int(self.contract.functions.payout(distribution_id, share).call())

    def carry(self) -> int:
        """Swept rests held for the next distribution (base units); it takes all of them in."""
        return int(self.contract.functions.carry().call())
