"""Click options several commands share, declared once: where the contracts are and how to reach them."""

from __future__ import annotations

from pathlib import Path

import click

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
    default=Path("flexunity-store"),
    show_default=True,
    help="The folder of content-addressed documents.",
)
