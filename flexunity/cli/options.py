"""Click options several commands share, declared once: where the contracts are and how to reach them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

MANIFEST = click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Deployment manifest written by `flexunity deploy` or `flexunity demo`.",
)
RPC = click.option("--rpc", "rpc_url", default=None, help="JSON-RPC URL (default: the manifest's).")
KEYSTORE = click.option(
    "--keystore",
    type=click.Path(path_type=Path),
    required=True,
    help="An encrypted keystore (passphrase: FLEXUNITY_PASSPHRASE or a prompt).",
)
CM_KEYSTORE = click.option(
    "--keystore",
    type=click.Path(path_type=Path),
    default=None,
    help="The CM's keystore (passphrase: FLEXUNITY_PASSPHRASE).",
)
CM_PRIVATE_KEY_ENV = click.option(
    "--private-key-env", default=None, help="Read the CM's key from this variable instead (devnets)."
)
STORE = click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The folder of content-addressed documents (default: 'store' beside the manifest).",
)
# Readers (peers, auditors) may live on other machines: the manifest and the documents by URL too.
MANIFEST_OR_URL = click.option(
    "--manifest",
    "manifest_path",
    required=True,
    help="Deployment manifest: a file written by `flexunity deploy`/`demo`, or a URL (`flexunity serve`).",
)
STORE_OR_URL = click.option(
    "--store",
    "store_dir",
    default=None,
    help="Published documents: a folder, or the URL of `flexunity serve` (default: 'store' beside the "
    "manifest; for a manifest URL, its server). Every document is checked against its on-chain hash.",
)


def together(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying ``options`` in the order written (as if stacked above the command)."""

    def apply(fn: F) -> F:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return apply


# Where the deployment is and who signs, declared once for the commands that act on chain.
CM_SIGNER = together(MANIFEST, CM_KEYSTORE, CM_PRIVATE_KEY_ENV, RPC, STORE)  # `flexunity oracle ...`
PEER_SIGNER = together(MANIFEST_OR_URL, KEYSTORE, RPC)  # a peer's own transactions (`flexunity peer ...`)
CHAIN_READER = together(MANIFEST_OR_URL, RPC)  # reading the deployment, no key
