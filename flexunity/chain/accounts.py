"""Accounts (private keys that sign) as the rest of the package sees them, without importing eth_account.

Only ``flexunity/chain`` imports the Ethereum libraries (tests/test_import_rules.py); the oracle, the
demo and the CLI name an account's type and make accounts through this module.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount

__all__ = ["LocalAccount", "account_from_key", "account_from_mnemonic", "new_account"]


def account_from_key(private_key: str | bytes) -> LocalAccount:
    """The account of a private key (hex string with or without 0x, or 32 bytes)."""
    return Account.from_key(private_key)


def new_account() -> LocalAccount:
    """A fresh random account (demo peers, tests)."""
    return Account.create()


def account_from_mnemonic(mnemonic: str, index: int) -> LocalAccount:
    """Account ``index`` of a BIP-39 mnemonic on the standard path m/44'/60'/0'/0/index (devnets)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
