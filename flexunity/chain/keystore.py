"""Encrypted keystores (Web3 Secret Storage, via eth-account) and where their passphrases come from.

A passphrase is read from the environment variable named by ``passphrase_env`` (default
``FLEXUNITY_PASSPHRASE``) or, when that is unset and a terminal is attached, prompted for. Keys never
leave the process: transactions and EIP-712 messages are signed locally.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from flexunity.errors import InputError

PASSPHRASE_ENV = "FLEXUNITY_PASSPHRASE"


def passphrase(env: str = PASSPHRASE_ENV, *, confirm: bool = False, prompt: str = "Passphrase: ") -> str:
    """The passphrase from ``env`` or from a prompt; an error when neither is available."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise InputError(f"no passphrase: set {env} or run in a terminal to be prompted")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != first:
        raise InputError("the two passphrases differ")
    return first


def write_keystore(
    account: LocalAccount, path: Path | str, secret: str, *, kdf_iterations: int | None = None
) -> Path:
    """Encrypt ``account`` to ``path`` (scrypt by default; a lighter pbkdf2 when iterations are given)."""
    path = Path(path)
    if path.exists():
        raise InputError("keystore already exists; refusing to overwrite it", where=str(path))
    if kdf_iterations is None:
        encrypted = Account.encrypt(account.key, secret)
    else:
        encrypted = Account.encrypt(account.key, secret, kdf="pbkdf2", iterations=kdf_iterations)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(encrypted))
    path.chmod(0o600)
    return path


def new_keystore(path: Path | str, secret: str, *, kdf_iterations: int | None = None) -> LocalAccount:
    account: LocalAccount = Account.create()
    write_keystore(account, path, secret, kdf_iterations=kdf_iterations)
    return account


def import_key(private_key: str, path: Path | str, secret: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(private_key)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a private key: {exc}") from None
    write_keystore(account, path, secret)
    return account


def load_keystore(path: Path | str, secret: str | None = None, *, env: str = PASSPHRASE_ENV) -> LocalAccount:
    """Decrypt a keystore; the passphrase comes from ``secret``, else ``env``, else a prompt."""
    path = Path(path)
    if not path.exists():
        raise InputError("keystore not found", where=str(path))
    try:
        encrypted = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise InputError("not a keystore JSON file", where=str(path)) from None
    if secret is None:
        secret = passphrase(env, prompt=f"Passphrase for {path.name}: ")
    try:
        key = Account.decrypt(encrypted, secret)
    except ValueError:
        raise InputError("wrong passphrase (MAC mismatch)", where=str(path)) from None
    account: LocalAccount = Account.from_key(key)
    return account


def keystore_address(path: Path | str) -> str:
    """The address a keystore holds, without decrypting it."""
    data = json.loads(Path(path).read_text())
    return "0x" + str(data["address"]).removeprefix("0x")
