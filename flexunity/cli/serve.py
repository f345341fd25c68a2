"""``flexunity serve``: publish the community's manifest and documents over HTTP (docs/web.md)."""

from __future__ import annotations

from pathlib import Path

import click

from flexunity.cli.audit import default_store


@click.command()
@click.option(
    "--manifest", "manifest_path", type=click.Path(path_type=Path), required=True,
    help="Deployment manifest written by `flexunity deploy` or `flexunity demo`.",
)  # fmt: skip
@click.option(
    "--store", "store_dir", type=click.Path(path_type=Path), default=None,
    help="Folder of documents (default: 'store' beside the manifest, else ./flexunity-store).",
)  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
def serve(manifest_path: Path, store_dir: Path | None, host: str, port: int) -> None:
    """Serve the manifest and the published documents, read-only, addressed by hash."""
    import uvicorn

    from flexunity.chain.manifest import load_manifest
    from flexunity.errors import InputError
    from flexunity.web.app import ServeSettings, create_app

    load_manifest(manifest_path)  # a clear error now rather than a broken server
    store = store_dir or default_store(manifest_path)
    if not store.is_dir():
        raise InputError("no such store folder (give --store DIR)", where=str(store))
    app = create_app(ServeSettings(manifest_path=manifest_path.resolve(), store_dir=store.resolve()))
    click.echo(
        f"serving {manifest_path} and the documents in {store}/ at http://{host}:{port}/ (Ctrl-C stops)"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
