"""EIP-712 typed data of FlexUnity's orders and clearing results, as a browser wallet signs them.

``order_typed_data`` and ``result_typed_data`` return the full ``eth_signTypedData_v4`` message
(``types`` with ``EIP712Domain``, ``primaryType``, ``domain``, ``message``): JSON-ready, bytes as
0x-hex strings, integers as Python ints. The same dict goes to a wallet, to
``eth_account.Account.sign_typed_data(key, full_message=...)`` and to :func:`typed_digest`; the
contracts' ``hashOrder`` / ``hashResult`` views return the same digest (tests/contracts).

Field lists mirror ``contracts/libraries/FlexTypes.sol`` one for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

ROUND_BOOK_NAME = "FlexUnity RoundBook"
CLEARING_HOUSE_NAME = "FlexUnity ClearingHouse"
DOMAIN_VERSION = "1"
EMPTY_PAYLOAD_HASH = keccak(b"")  # an order with an empty payload cancels the peer's order
# The default ``maxDebit`` of an order: no cap below the contract's uint80 limit (docs/contracts.md,
# "Commitment"). A peer that wants its exposure per round bounded signs a smaller cap.
NO_DEBIT_CAP = 2**80 - 1
# The cap of an order drafted for a browser wallet: JSON numbers above 2**53 - 1 lose their exactness
# in JavaScript (viem then refuses the typed data, and a wallet could sign another number), so a
# wallet's order carries the largest exact one: 9.0e15 base units, no practical cap for a peer.
WALLET_NO_DEBIT_CAP = 2**53 - 1

EIP712_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
ORDER_FIELDS = [
    {"name": "roundId", "type": "uint64"},
    {"name": "peer", "type": "address"},
    {"name": "nonce", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
    {"name": "maxDebit", "type": "uint80"},
    {"name": "payloadHash", "type": "bytes32"},
]
CLEARING_RESULT_FIELDS = [
    {"name": "roundId", "type": "uint64"},
    {"name": "attempt", "type": "uint32"},
    {"name": "signerEpoch", "type": "uint32"},
    {"name": "orderDigest", "type": "bytes32"},
    {"name": "resultsRoot", "type": "bytes32"},
    {"name": "documentHash", "type": "bytes32"},
    {"name": "leafCount", "type": "uint32"},
    {"name": "totalDebit", "type": "uint128"},
    {"name": "totalCredit", "type": "uint128"},
    {"name": "feesTotal", "type": "uint128"},
    {"name": "supplierTotal", "type": "uint128"},
    {"name": "importWh", "type": "uint64"},
    {"name": "exportWh", "type": "uint64"},
    {"name": "tradedWh", "type": "uint64"},
]


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain: which contract on which chain a signature is for."""

    name: str
    chain_id: int
    verifying_contract: str
    version: str = DOMAIN_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


@dataclass(frozen=True)
class Order:
    """A peer's order for a round (contracts/libraries/FlexTypes.sol ``Order``)."""

    round_id: int
    peer: str
    nonce: int
    deadline: int
    payload_hash: bytes
    max_debit: int = NO_DEBIT_CAP  # the most a result may debit the peer in a round it has open

    @classmethod
    def for_payload(
        cls,
        round_id: int,
        peer: str,
        nonce: int,
        deadline: int,
        payload: bytes,
        max_debit: int = NO_DEBIT_CAP,
    ) -> Order:
        return cls(round_id, to_checksum_address(peer), nonce, deadline, keccak(payload), max_debit)

    def as_message(self) -> dict[str, Any]:
        return {
            "roundId": self.round_id,
            "peer": to_checksum_address(self.peer),
            "nonce": self.nonce,
            "deadline": self.deadline,
            "maxDebit": self.max_debit,
            "payloadHash": "0x" + self.payload_hash.hex(),
        }

    def as_tuple(self) -> tuple[int, str, int, int, int, bytes]:
        """The struct as web3 passes it to the contract."""
        return (
            self.round_id, to_checksum_address(self.peer), self.nonce, self.deadline, self.max_debit,
            self.payload_hash,
        )  # fmt: skip

    def struct_hash(self) -> bytes:
        """EIP-712 hashStruct: the value chained into the round's order digest."""
        types = ["bytes32", *(f["type"] for f in ORDER_FIELDS)]
        return keccak(encode(types, [ORDER_TYPEHASH, *self.as_tuple()]))


@dataclass(frozen=True)
class ClearingResult:
    """A round's clearing result (contracts/libraries/FlexTypes.sol ``ClearingResult``)."""

    round_id: int
    order_digest: bytes
    results_root: bytes
    document_hash: bytes
    leaf_count: int
    total_debit: int
    total_credit: int
    fees_total: int
    supplier_total: int
    import_wh: int
    export_wh: int
    traded_wh: int
    attempt: int = 0  # results of the round rejected before this one (ClearingHouse.rejections)
    signer_epoch: int = 0  # the signer set it is signed under (CommunityRegistry.signerEpoch)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.round_id, self.attempt, self.signer_epoch, self.order_digest, self.results_root,
            self.document_hash, self.leaf_count,
            self.total_debit, self.total_credit, self.fees_total, self.supplier_total,
            self.import_wh, self.export_wh, self.traded_wh,
        )  # fmt: skip

    def as_message(self) -> dict[str, Any]:
        values = self.as_tuple()
        message: dict[str, Any] = {}
        for field, value in zip(CLEARING_RESULT_FIELDS, values, strict=True):
            message[field["name"]] = "0x" + value.hex() if isinstance(value, bytes) else value
        return message

    def struct_hash(self) -> bytes:
        types = ["bytes32", *(f["type"] for f in CLEARING_RESULT_FIELDS)]
        return keccak(encode(types, [CLEARING_RESULT_TYPEHASH, *self.as_tuple()]))


def type_string(primary: str, fields: list[dict[str, str]]) -> str:
    return f"{primary}(" + ",".join(f"{f['type']} {f['name']}" for f in fields) + ")"


ORDER_TYPEHASH = keccak(text=type_string("Order", ORDER_FIELDS))
CLEARING_RESULT_TYPEHASH = keccak(text=type_string("ClearingResult", CLEARING_RESULT_FIELDS))


def order_typed_data(domain: Domain, order: Order) -> dict[str, Any]:
    """The full eth_signTypedData_v4 message a peer's wallet signs for an order."""
    return _typed_data(domain, "Order", ORDER_FIELDS, order.as_message())


def result_typed_data(domain: Domain, result: ClearingResult) -> dict[str, Any]:
    """The full eth_signTypedData_v4 message a clearing signer signs for a result."""
    return _typed_data(domain, "ClearingResult", CLEARING_RESULT_FIELDS, result.as_message())


def _typed_data(
    domain: Domain, primary: str, fields: list[dict[str, str]], message: dict[str, Any]
) -> dict[str, Any]:
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_FIELDS, primary: fields},
        "primaryType": primary,
        "domain": domain.as_dict(),
        "message": message,
    }


def typed_digest(typed_data: dict[str, Any]) -> bytes:
    """keccak256("\\x19\\x01" ‖ domainSeparator ‖ hashStruct(message)): what is signed and recovered."""
    signable = encode_typed_data(full_message=typed_data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def domain_separator(domain: Domain) -> bytes:
    types = ["bytes32", "bytes32", "bytes32", "uint256", "address"]
    typehash = keccak(text=type_string("EIP712Domain", EIP712_DOMAIN_FIELDS))
    values = [typehash, keccak(text=domain.name), keccak(text=domain.version), domain.chain_id,
              to_checksum_address(domain.verifying_contract)]  # fmt: skip
    return keccak(encode(types, values))


def sign_typed_data(private_key: bytes | str, typed_data: dict[str, Any]) -> bytes:
    """A 65-byte signature (r ‖ s ‖ v) of the typed data, as a wallet returns it."""
    return bytes(Account.sign_typed_data(private_key, full_message=typed_data).signature)


def recover_signer(typed_data: dict[str, Any], signature: bytes) -> str:
    """The checksummed address that signed ``typed_data``."""
    return str(Account.recover_message(encode_typed_data(full_message=typed_data), signature=signature))


def chain_order_digest(order_hashes: Iterable[bytes], start: bytes = b"\x00" * 32) -> bytes:
    """The round's running order digest: d = keccak256(d ‖ orderStructHash) over accepted orders."""
    digest = start
    for order_hash in order_hashes:
        digest = keccak(digest + order_hash)
    return digest
