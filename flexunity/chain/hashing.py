"""The chain's hash and address spelling, for rooms that must not import eth_* themselves.

``keccak`` is the contracts' keccak256; ``checksum_address`` the EIP-55 spelling of an address.
"""

from __future__ import annotations

from eth_hash.auto import keccak as _keccak
from eth_utils import to_checksum_address


def keccak(data: bytes) -> bytes:
    """keccak256 of the bytes, as the contracts compute it."""
    return bytes(_keccak(data))


def keccak_hex(data: bytes) -> str:
    """``0x`` + keccak256 of the bytes, lower-case hex."""
    return "0x" + keccak(data).hex()


def checksum_address(address: str) -> str:
    """The EIP-55 checksummed spelling of a 20-byte hex address."""
    return str(to_checksum_address(address))
