"""Connecting a command to its deployment: the manifest, the RPC URL and the key that signs.

Every missing piece is one InputError line saying what to pass."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flexunity.errors import InputError

if TYPE_CHECKING:
    from flexunity.chain.accounts import LocalAccount
    from flexunity.chain.manifest import Manifest
    from flexunity.oracle.chainio import OracleChain
    from flexunity.record.store import FolderStore


def manifest_and_url(manifest_path: str | Path, rpc_url: str | None) -> tuple[Manifest, str]:
    """The manifest (a file or a URL) and the RPC URL to use (``--rpc``, else the manifest's)."""
    from flexunity.chain.manifest import load_manifest

    manifest = load_manifest(manifest_path)
    url = rpc_url or manifest.rpc_url
    if not url:
        raise InputError("no RPC URL: pass --rpc (the manifest has none)")
    return manifest, url


def cm_account(keystore: Path | None, key_env: str | None, why: str) -> LocalAccount:
    """The CM's account from its keystore, or from a variable holding the key (devnets)."""
    from flexunity.chain.accounts import account_from_key
    from flexunity.chain.keystore import load_keystore

    if key_env:
        if key_env not in os.environ:
            raise InputError(f"{key_env} is not set")
        return account_from_key(os.environ[key_env])
    if keystore:
        return load_keystore(keystore)
    raise InputError(f"{why}: pass --keystore FILE (or --private-key-env VAR on a devnet)")


def cm_chain(
    manifest_path: Path, keystore: Path | None, key_env: str | None, rpc_url: str | None, store: Path | None
) -> OracleChain:
    """The oracle's chain adapter acting as the CM, on the checked node, with the CM's document store."""
    from flexunity.chain.node import connect
    from flexunity.oracle.chainio import OracleChain
    from flexunity.record.store import FolderStore, default_store

    manifest, url = manifest_and_url(manifest_path, rpc_url)
    account = cm_account(keystore, key_env, "this command signs as the CM")
    w3 = connect(url, manifest, report)
    folder = FolderStore(store or default_store(manifest_path))
    return OracleChain.from_manifest(w3, manifest, account, store=folder)


def cm_store(chain: OracleChain) -> FolderStore:
    """The document store of a ``cm_chain`` (it always has one)."""
    if chain.store is None:
        raise InputError("no document store: pass --store")
    return chain.store


def report(message: str) -> None:
    """Progress and retries go to stderr, results to stdout."""
    click.echo(message, err=True)


__all__ = ["cm_account", "cm_chain", "cm_store", "manifest_and_url", "report"]
