"""Client of CommunityRegistry: members, roles, signers, pause."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import to_checksum_address
from web3.types import TxReceipt

from flexunity.chain.contracts.base import ContractClient, Signer
from flexunity.chain.contracts.records import Membership, PeerKind
from flexunity.chain.rpc import Mined


class RegistryClient(ContractClient):
    def enrol(
        self, sender: Signer, peer: str, kind: PeerKind, metadata_hash: bytes = b"\0" * 32
    ) -> TxReceipt:
        return self._send(
            self.contract.functions.enrol(peer, int(kind), metadata_hash), sender, f"enrolling {peer}"
        )

    def enrol_many(self, sender: Signer, peers: Sequence[tuple[str, PeerKind, bytes]]) -> list[Mined]:
        """Enrol every (address, kind, metadata hash), one call each, sent together."""
        fn = self.contract.functions.enrol
        calls = [(fn(to_checksum_address(a), int(k), h), f"enrol {a}") for a, k, h in peers]
        return self._transact(calls, sender, estimate_each=False)

    def remove(self, sender: Signer, peer: str) -> TxReceipt:
        return self._send(self.contract.functions.remove(peer), sender, f"removing {peer}")

    def leave(self, peer: Signer) -> TxReceipt:
        return self._send(self.contract.functions.leave(), peer, f"{peer} leaving")

    def propose_signers(self, sender: Signer, signers: Sequence[str], threshold: int) -> TxReceipt:
        """Announce a new signer set; it takes effect after the registry's signer delay."""
        fn = self.contract.functions.proposeSigners([to_checksum_address(s) for s in signers], threshold)
        return self._send(fn, sender, "announcing new clearing signers")

    def signer_epoch(self) -> int:
        """The epoch of the signer set in force (a result must name it)."""
        return int(self.contract.functions.signerEpoch().call())

    def clock(self) -> int:
        """The community clock (unix time minus paused time): every result deadline runs on it."""
        return int(self.contract.functions.clock().call())

    def order_status(self, peer: str, round_id: int) -> tuple[bool, bool, int]:
        """(ordered in the round, commitment released, current debit cap)."""
        ordered, released, _, cap = self.contract.functions.orderStatus(peer, round_id).call()
        return bool(ordered), bool(released), int(cap)

    def pause(self, sender: Signer) -> TxReceipt:
        return self._send(self.contract.functions.pause(), sender, "pausing")

    def unpause(self, sender: Signer) -> TxReceipt:
        return self._send(self.contract.functions.unpause(), sender, "unpausing")

    def member(self, peer: str) -> Membership:
        return Membership.from_call(self.contract.functions.member(peer).call())

    def is_member(self, peer: str, round_id: int) -> bool:
        return bool(self.contract.functions.isMember(peer, round_id).call())

    def signers(self) -> list[str]:
        return [to_checksum_address(s) for s in self.contract.functions.signers().call()]

    def threshold(self) -> int:
        return int(self.contract.functions.signerThreshold().call())

    def fee_recipient(self) -> str:
        return str(self.contract.functions.feeRecipient().call())

    def supplier(self) -> str:
        return str(self.contract.functions.supplier().call())

    def paused(self) -> bool:
        return bool(self.contract.functions.paused().call())
