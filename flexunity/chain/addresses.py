"""Addresses and keys for the rooms above chain (web, cli) that must not import eth_* themselves
(keccak and the checksum spelling are in ``hashing.py``)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils import is_hex_address

from flexunity.chain.hashing import checksum_address


def is_address(text: Any) -> bool:
    """``0x`` and 40 hex digits (any case)."""
    return isinstance(text, str) and bool(is_hex_address(text))


def checksum(text: str) -> str:
    """The EIP-55 form of an address; ValueError with the reason if it is not one."""
    if not is_address(text):
        raise ValueError(f"{str(text)[:60]!r} is not an address (0x and 40 hex digits)")
    return checksum_address(text)


def reader_account() -> Any:
    """A fresh throwaway key for clients that only read (it signs nothing and holds nothing)."""
    return Account.create()


def account_from_key(private_key: str) -> Any:
    """The local account of a private key (hex); ValueError if it is not one."""
    return Account.from_key(private_key)
