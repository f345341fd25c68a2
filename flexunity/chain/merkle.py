"""OpenZeppelin StandardMerkleTree, in pure Python, bit for bit.

Same leaf hash (``keccak256(keccak256(abi.encode(values)))``), same sorted-pair hashing, same tree
layout (leaves sorted by hash, stored at the end of the array in reverse order) and the same
``standard-v1`` dump as ``@openzeppelin/merkle-tree``, so either side can verify the other's proofs.
The contracts verify with OpenZeppelin's ``MerkleProof``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak

SETTLEMENT_LEAF_ENCODING = (
    "uint64", "uint32", "address", "uint256", "bool", "uint64", "uint64", "uint64", "uint64",
)  # fmt: skip
"""(roundId, index, account, amount, isCredit, boughtWh, soldWh, importWh, exportWh)."""
REVENUE_LEAF_ENCODING = ("uint64", "uint32", "address", "uint256")
"""(distributionId, index, account, amount)."""
EMPTY_ROOT = b"\x00" * 32


def leaf_hash(encoding: Sequence[str], value: Sequence[Any]) -> bytes:
    return keccak(keccak(encode(list(encoding), list(value))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, encoding: Sequence[str], value: Sequence[Any], proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` leads from the leaf of ``value`` to ``root``."""
    return process_proof(leaf_hash(encoding, value), proof) == root


@dataclass(frozen=True)
class StandardMerkleTree:
    """A tree of ``values`` (tuples matching ``encoding``), built as OpenZeppelin builds it."""

    encoding: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    tree: tuple[bytes, ...]
    tree_indices: tuple[int, ...]  # tree index of each value, in the order values were given

    @classmethod
    def of(cls, values: Sequence[Sequence[Any]], encoding: Sequence[str]) -> StandardMerkleTree:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted(((leaf_hash(encoding, v), i) for i, v in enumerate(values)), key=lambda item: item[0])
        size = 2 * len(hashed) - 1
        tree: list[bytes] = [b""] * size
        for position, (digest, _) in enumerate(hashed):
            tree[size - 1 - position] = digest
        for i in range(size - 1 - len(hashed), -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        indices = [0] * len(values)
        for position, (_, value_index) in enumerate(hashed):
            indices[value_index] = size - 1 - position
        return cls(tuple(encoding), tuple(tuple(v) for v in values), tuple(tree), tuple(indices))

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        """Sibling hashes from the leaf of ``values[value_index]`` up to the root."""
        node = self.tree_indices[value_index]
        proof: list[bytes] = []
        while node > 0:
            sibling = node + 1 if node % 2 == 1 else node - 1
            proof.append(self.tree[sibling])
            node = (node - 1) // 2
        return proof

    def leaf(self, value_index: int) -> bytes:
        return self.tree[self.tree_indices[value_index]]

    def dump(self) -> dict[str, Any]:
        """The ``standard-v1`` JSON of @openzeppelin/merkle-tree (``StandardMerkleTree.load`` reads it)."""
        return {
            "format": "standard-v1",
            "leafEncoding": list(self.encoding),
            "tree": ["0x" + node.hex() for node in self.tree],
            "values": [
                {"value": [_json_value(x) for x in value], "treeIndex": index}
                for value, index in zip(self.values, self.tree_indices, strict=True)
            ],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> StandardMerkleTree:
        """Rebuild from a ``standard-v1`` dump and check that it is consistent."""
        if data.get("format") != "standard-v1":
            raise ValueError(f"unknown Merkle tree format {data.get('format')!r}")
        encoding = tuple(data["leafEncoding"])
        values = [
            tuple(_from_json(t, x) for t, x in zip(encoding, v["value"], strict=True)) for v in data["values"]
        ]
        tree = cls.of(values, encoding)
        if ["0x" + n.hex() for n in tree.tree] != [n.lower() for n in data["tree"]]:
            raise ValueError("the dumped tree does not match its values")
        return tree


def _json_value(x: Any) -> Any:
    if isinstance(x, bytes):
        return "0x" + x.hex()
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return str(x)  # like the JS library: big integers as decimal strings
    return x


def _from_json(abi_type: str, x: Any) -> Any:
    if abi_type.startswith(("uint", "int")):
        return int(x, 0) if isinstance(x, str) else int(x)
    if abi_type.startswith("bytes") and isinstance(x, str):
        return bytes.fromhex(x.removeprefix("0x"))
    return x
