"""A peer's connection to a deployment, shared by the peer commands (``cli/peer.py``,
``cli/peer_status.py``) and ``flexunity plot --round``: the peer's client, read-only without a key."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flexunity.errors import InputError

if TYPE_CHECKING:
    from flexunity.chain.contracts.peer import PeerClient


def connect_peer(manifest_path: str, keystore: Path | None, rpc_url: str | None) -> tuple[PeerClient, Any]:
    """The peer's client on the manifest's deployment (``keystore`` None: read only) and its account."""
    from flexunity.chain.contracts.peer import PeerClient
    from flexunity.chain.keystore import load_keystore
    from flexunity.chain.node import connect
    from flexunity.cli.connect import manifest_and_url, report

    manifest, url = manifest_and_url(manifest_path, rpc_url)
    account = load_keystore(keystore) if keystore is not None else None
    w3 = connect(url, manifest, report)
    chain = PeerClient(w3, manifest, account, report=report)
    return chain.check_deployment(), account


def reader_chain(manifest_path: str, rpc_url: str | None) -> PeerClient:
    """A read-only view of the deployment (no key)."""
    chain, _ = connect_peer(manifest_path, None, rpc_url)
    return chain


def checked_address(value: str, option: str = "--address") -> str:
    """``value`` checksummed, or a one-line InputError naming the option."""
    from flexunity.chain.hashing import checksum_address, is_hex_address

    if not is_hex_address(value):
        raise InputError(f"not an address: {value!r} (0x followed by 40 hex digits)", where=option)
    return checksum_address(value)
