"""``flexunity serve``: the community's documents; with a node, its pages and order inbox (docs/web.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flexunity.cli.audit import default_store
from flexunity.cli.options import CM_KEYSTORE, CM_PRIVATE_KEY_ENV, MANIFEST


@click.command()
@MANIFEST
@click.option(
    "--store", "store_dir", type=click.Path(path_type=Path), default=None,
    help="Folder of documents (default: 'store' beside the manifest, else ./flexunity-store).",
)  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--rpc", "rpc_url", default=None,
    help="JSON-RPC URL for the pages (default: the manifest's; --documents-only serves no pages).",
)  # fmt: skip
@click.option("--documents-only", is_flag=True, help="Serve the documents only: no pages, no node needed.")
@CM_KEYSTORE
@CM_PRIVATE_KEY_ENV
@click.option(
    "--relay-every", type=click.FloatRange(0.5, 3600), default=5.0, show_default=True,
    help="Seconds between batches of inbox orders relayed to the chain.",
)  # fmt: skip
def serve(
    manifest_path: Path, store_dir: Path | None, host: str, port: int, rpc_url: str | None,
    documents_only: bool, keystore: Path | None, private_key_env: str | None, relay_every: float,
) -> None:  # fmt: skip
    """Serve the documents (read-only, by hash), the peer, CM and auditor pages, and the order inbox."""
    import uvicorn

    from flexunity.chain.manifest import load_manifest
    from flexunity.errors import ChainError, InputError
    from flexunity.web.app import ServeSettings, create_app

    manifest = load_manifest(manifest_path)  # a clear error now rather than a broken server
    store = store_dir or default_store(manifest_path)
    if not store.is_dir():
        raise InputError("no such store folder (give --store DIR)", where=str(store))
    url = None if documents_only else (rpc_url or manifest.rpc_url)
    if not documents_only and not url:
        raise InputError("the pages need a node: pass --rpc URL (or --documents-only)")
    account = _cm_account(keystore, private_key_env) if (keystore or private_key_env) else None
    settings = ServeSettings(
        manifest_path=manifest_path.resolve(), store_dir=store.resolve(), rpc_url=url,
        cm_account=account, relay_every=relay_every, pages=not documents_only,
    )  # fmt: skip
    try:
        app = create_app(settings)
    except ChainError as exc:
        raise ChainError(
            f"{exc} (the pages need a node; --documents-only serves the documents without one)"
        ) from None
    what = "documents" if documents_only else "documents and pages (/peer, /cm, /audit)"
    inbox = ", order inbox open" if account is not None else ""
    click.echo(f"serving {what} of {manifest_path} at http://{host}:{port}/{inbox} (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def _cm_account(keystore: Path | None, key_env: str | None) -> Any:
    import os

    from flexunity.chain.addresses import account_from_key
    from flexunity.chain.keystore import load_keystore
    from flexunity.errors import InputError

    if key_env:
        if key_env not in os.environ:
            raise InputError(f"{key_env} is not set")
        try:
            return account_from_key(os.environ[key_env])
        except ValueError:
            raise InputError(f"{key_env} does not hold a private key (64 hex digits)") from None
    assert keystore is not None
    return load_keystore(keystore)
