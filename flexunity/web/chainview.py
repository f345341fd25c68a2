"""What the pages show, read from the chain and the published documents (JSON for the browser).

The server reads for convenience; the browser checks what matters against the chain itself through
the peer's own wallet (the Merkle proof against the posted root, a document against its on-chain
hash), so a lying server is caught by the page.
"""

from __future__ import annotations

from typing import Any

from flexunity.chain.addresses import checksum
from flexunity.chain.merkle import REVENUE_LEAF_ENCODING, SETTLEMENT_LEAF_ENCODING
from flexunity.chain.settlement import SettlementLeaf, revenue_tree, settlement_tree
from flexunity.errors import InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.record.revenue import leaves_of
from flexunity.record.store import FolderStore
from flexunity.web.documents import DocumentShelf

ABI_NAMES = {
    "token": "SettlementToken",
    "escrow": "SettlementEscrow",
    "registry": "CommunityRegistry",
    "rounds": "RoundBook",
    "clearing": "ClearingHouse",
    "revenue": "RevenueDistributor",
}


class ChainView:
    """Read-only views of one deployment for the pages."""

    def __init__(self, chain: OracleChain, store: FolderStore, shelf: DocumentShelf) -> None:
        self.chain, self.store, self.shelf = chain, store, shelf
        self._static: dict[str, Any] | None = None

    def deployment(self) -> dict[str, Any]:
        """Chain, contracts (addresses and ABIs), token: what the page needs to talk to the wallet."""
        if self._static is None:
            manifest, clients = self.chain.manifest, self.chain.clients
            self._static = {
                "chainId": manifest.chain_id,
                "network": manifest.network,
                "rpcUrl": manifest.rpc_url,
                "testChain": bool(manifest.parameters.get("token_is_test_token", True)),
                "firstBlock": manifest.first_block,
                "contracts": {key: getattr(clients, key).address for key in ABI_NAMES},
                "abis": {key: getattr(clients, key).contract.abi for key in ABI_NAMES},
                "token": {"symbol": self.chain.token_symbol(), "decimals": self.chain.token_decimals()},
                "roles": manifest.roles,
            }
        return self._static

    def rounds(self) -> list[dict[str, Any]]:
        """Every round with its schedule and where it stands, newest first."""
        now = self.chain.now()
        out = []
        for round_id in reversed(self.chain.open_rounds()):
            view = self.chain.view(round_id)
            info = self.chain.clients.rounds.round(round_id)
            out.append(
                {
                    "round": round_id,
                    "start": info.start_time,
                    "gateClosure": info.gate_closure,
                    "intervalSeconds": info.interval_seconds,
                    "intervals": info.interval_count,
                    "orders": view.order_count,
                    "configHash": view.config_hash,
                    "stage": stage(view, now),
                    "resultHash": view.result_hash,
                    "root": view.merkle_root if view.result_posted else "",
                    "challengeEnds": view.window_ends,
                    "settledLeaves": view.settled_leaves,
                }
            )
        return out

    def now(self) -> int:
        return self.chain.now()

    def result_document(self, round_id: int) -> tuple[str, dict[str, Any]]:
        digest = self.chain.posted_document_hash(round_id)
        if not digest:
            raise InputError(f"round {round_id} has no posted result yet")
        return digest, self.store.get_json(digest)

    def peer_round(self, round_id: int, address: str) -> dict[str, Any]:
        """A peer's bill, the internal prices, its settlement leaf and the leaf's Merkle proof."""
        digest, document = self.result_document(round_id)
        key = address.lower()
        clearing = document["clearing"]
        leaves = [SettlementLeaf.from_dict(round_id, x) for x in document["settlement"]["leaves"]]
        mine = [leaf for leaf in leaves if leaf.account.lower() == key]
        if not mine:
            raise InputError(f"{checksum(address)} has no settlement leaf in round {round_id}")
        leaf = mine[0]
        tree = settlement_tree(round_id, leaves)
        pricing = clearing.get("pricing", {})
        return {
            "round": round_id,
            "documentHash": digest,
            "currency": clearing.get("currency") or document["scenario"].get("currency", ""),
            "intervalMinutes": clearing.get("interval_minutes"),
            "start": document["scenario"].get("start"),
            "timezone": document["scenario"].get("timezone"),
            "bill": clearing.get("bills", {}).get(key, {}),
            "standalone": (clearing.get("standalone_bills", {}).get(key) or {}).get("total"),
            "prices": {
                "buy": pricing.get("buy", []),
                "sell": pricing.get("sell", []),
                "rule": pricing.get("rule", ""),
            },
            "leaf": {"encoding": list(SETTLEMENT_LEAF_ENCODING), "values": _json_values(leaf.as_tuple())},
            "proof": ["0x" + p.hex() for p in tree.proof(leaf.index)],
            "applied": self.chain.clients.escrow.is_applied(round_id, leaf.index),
        }

    def revenue_shares(self, address: str) -> list[dict[str, Any]]:
        """The peer's shares in every published revenue distribution, with leaf, proof and claim state."""
        key, out = address.lower(), []
        revenue = self.chain.clients.revenue
        for entry in self.shelf.index():
            if entry.kind != "revenue":
                continue
            document = self.store.get_json(entry.hash)
            leaves = leaves_of(document)
            tree = revenue_tree(leaves)
            for leaf in leaves:
                if leaf.account.lower() != key:
                    continue
                out.append(
                    {
                        "distribution": leaf.distribution_id,
                        "round": document.get("round"),
                        "documentHash": entry.hash,
                        "amount": revenue.payout(leaf.distribution_id, leaf.amount),
                        "share": leaf.amount,
                        "index": leaf.index,
                        "root": document.get("merkle_root"),
                        "rule": document.get("rule"),
                        "leaf": {
                            "encoding": list(REVENUE_LEAF_ENCODING),
                            "values": _json_values(leaf.as_tuple()),
                        },
                        "proof": ["0x" + p.hex() for p in tree.proof(leaf.index)],
                        "claimed": revenue.is_claimed(leaf.distribution_id, leaf.index),
                    }
                )
        return out


def stage(view: Any, now: int) -> str:
    """Where a round stands, in the words the pages use."""
    if not view.gate_closed:
        return "open"
    if not view.result_posted:
        return "gate closed"
    if view.fully_settled:
        return "settled"
    if view.disputed:
        return "disputed"
    if now < view.window_ends:
        return "challenge window"
    return "settling"


def _json_values(values: tuple[Any, ...]) -> list[Any]:
    """ABI values for JavaScript: integers as decimal strings (BigInt in the page), the rest as is."""
    return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
