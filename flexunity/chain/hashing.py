"""The chain's hash and address spelling, for rooms that must not import eth_* themselves.

``keccak`` is the contracts' keccak256; ``checksum_address`` the EIP-55 spelling of an address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode as _abi_encode
from eth_hash.auto import keccak as _keccak
from eth_utils import to_checksum_address


def keccak(data: bytes) -> bytes:
    """keccak256 of the bytes, as the contracts compute it."""
    return bytes(_keccak(data))


def keccak_hex(data: bytes) -> str:
    """``0x`` + keccak256 of the bytes, lower-case hex."""
    return "0x" + keccak(data).hex()


def abi_encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """The Solidity ABI encoding of ``values`` (``abi.encode``)."""
    return bytes(_abi_encode(list(types), list(values)))


def checksum_address(address: str) -> str:
    """The EIP-55 checksummed spelling of a 20-byte hex address."""
    return str(to_checksum_address(address))
