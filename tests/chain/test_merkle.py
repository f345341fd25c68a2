"""flexunity.chain.merkle builds OpenZeppelin StandardMerkleTree's exact trees and proofs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexunity.chain.merkle import (
    SETTLEMENT_LEAF_ENCODING,
    StandardMerkleTree,
    hash_pair,
    leaf_hash,
    verify,
)

# Golden case: a standard-v1 dump written by @openzeppelin/merkle-tree (8 address leaves), from the
# public repository ChengCK18/test_repo_template_2, file src/tree.js. Our builder must reproduce
# every node and every treeIndex from the values alone.
OZ_DUMP = {
    "format": "standard-v1",
    "leafEncoding": ["address"],
    "tree": [
        "0x7b304f9d916a40cd36caa8f6c157d088804dd56b4b5f1597167414f1e57c6699",
        "0x8816bb1dbc65ec25bbd355d256d30ca638864e0e2132ec0fe4e3cecb7f2a8f6b",
        "0xe8756a510133c2430507f4921ed4ddc3a389eb28269d011d5c8286082acab211",
        "0x6fb1f0d156bd8cc28787d40bd6d35c06b47d10adc13510215a67a5273dda0ae5",
        "0x9bcdb31f56f5a037e7b89237b30d15147fc6026b2256d1a16faeac4d4f162456",
        "0x05eee84e9db5a5444c9fa9ab18b0d3f6577dc2ae3c4fefeb18ef89eb04b1b43d",
        "0x13d1d05947f1b3507720ca4d648c8f959dd392b78dbc9cec728c7d7d1d88b959",
        "0xdb2646dcee3f27203fec40586329b3d4befee299588ecec9173728cf3ca039ee",
        "0xd7a4494e5a354126bee1138ea44229292a8f053cad6e36cbe10c965e1fe45deb",
        "0x950fc0ef2d798666f278fcbf2979c05f630da5f025d8b5771e993311152ac4d9",
        "0x699e3753ca9fc5bee9317d00d92b91c085e23e5fdce0369ae076b8dc87c216dd",
        "0x669d1ade132a34e3992a8458273dc079e8bfe48303219a65e64ab53898b71286",
        "0x5860fd69c609f022d5dd7f0bf23c165eb666840223ff2c337e3246576ef820d4",
        "0x4cecb2ba7f09c4b25b7122927d5c88f2a88f51139b085cde905831c73786e6c0",
        "0x24da68c5697e2b39240db86159eb0aea630eef50919653bc16409e95a183b6c6",
    ],
    "values": [
        {"value": ["0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"], "treeIndex": 14},
        {"value": ["0x000000000000d34c44564053af35e4fe271d0caa"], "treeIndex": 12},
        {"value": ["0x0000000000078c65a676f9a1f2ae66db0cbdff48"], "treeIndex": 8},
        {"value": ["0x00000000000a29a0800f6f557ddbbe8249397de7"], "treeIndex": 9},
        {"value": ["0x00000000000a40322164e8b9e1b909c388bf8317"], "treeIndex": 13},
        {"value": ["0x00000000000b69ec332f49b7c4d2b101f93c3bed"], "treeIndex": 11},
        {"value": ["0x00000000000be4d9faacf7f669f25118b1736666"], "treeIndex": 10},
        {"value": ["0xA8CC44274A9b35D1b55fBe7cfCa528b7a78Fb940"], "treeIndex": 7},
    ],
}


def test_reproduces_openzeppelin_dump_node_for_node() -> None:
    values = [tuple(v["value"]) for v in OZ_DUMP["values"]]
    tree = StandardMerkleTree.of(values, ["address"])
    assert ["0x" + node.hex() for node in tree.tree] == OZ_DUMP["tree"]
    assert list(tree.tree_indices) == [v["treeIndex"] for v in OZ_DUMP["values"]]
    assert StandardMerkleTree.load(OZ_DUMP).root == tree.root


def test_load_rejects_a_tampered_dump() -> None:
    bad = {**OZ_DUMP, "tree": [OZ_DUMP["tree"][1], *OZ_DUMP["tree"][1:]]}
    with pytest.raises(ValueError, match="does not match"):
        StandardMerkleTree.load(bad)


def test_empty_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        StandardMerkleTree.of([], ["address"])


def _leaf(i: int, amount: int) -> tuple:
    return (1, i, "0x" + f"{i + 1:040x}", amount, i % 2 == 0, i, 0, 0, 0)


@given(st.lists(st.integers(min_value=0, max_value=2**128), min_size=1, max_size=40))
def test_every_proof_verifies_and_a_changed_amount_does_not(amounts: list[int]) -> None:
    values = [_leaf(i, a) for i, a in enumerate(amounts)]
    tree = StandardMerkleTree.of(values, SETTLEMENT_LEAF_ENCODING)
    for i, value in enumerate(values):
        proof = tree.proof(i)
        assert verify(tree.root, SETTLEMENT_LEAF_ENCODING, value, proof)
        tampered = (*value[:3], value[3] + 1, *value[4:])
        assert not verify(tree.root, SETTLEMENT_LEAF_ENCODING, tampered, proof)


def test_hash_pair_is_commutative_and_leaf_is_double_hashed() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    assert hash_pair(a, b) == hash_pair(b, a)
    single = StandardMerkleTree.of([_leaf(0, 5)], SETTLEMENT_LEAF_ENCODING)
    assert single.root == leaf_hash(SETTLEMENT_LEAF_ENCODING, _leaf(0, 5))
    assert single.proof(0) == []


def test_dump_round_trips() -> None:
    tree = StandardMerkleTree.of([_leaf(i, 10 * i) for i in range(5)], SETTLEMENT_LEAF_ENCODING)
    assert StandardMerkleTree.load(tree.dump()).root == tree.root
