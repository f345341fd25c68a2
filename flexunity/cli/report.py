"""``flexunity report``: one posted round as a self-contained HTML page for peers, CM and auditors
(dispatch, internal prices, bills per peer, KPIs, the audit's verdict check by check); docs/report.md."""

from __future__ import annotations

from pathlib import Path

import click

from flexunity.cli.options import MANIFEST, RPC


@click.command()
@click.option("--round", "round_id", type=int, required=True, help="The round to report (as on chain).")
@MANIFEST
@RPC
@click.option(
    "--store",
    "store_dir",
    default=None,
    help="Folder of published documents (default: 'store' beside the manifest, else ./flexunity-store).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The HTML file to write (default: round-R.html).",
)
def report(
    round_id: int, manifest_path: Path, rpc_url: str | None, store_dir: str | None, out: Path | None
) -> None:
    """Write one posted round as an HTML page: bills, prices, dispatch, KPIs, the audit's verdict."""
    path = write_report(
        manifest_path, round_id, store_dir, out or Path(f"round-{round_id}.html"), rpc_url=rpc_url
    )
    click.echo(f"wrote {path}")


def write_report(
    manifest_path: Path, round_id: int, store_dir: str | Path | None, out: Path, *,
    rpc_url: str | None = None, w3: object = None,
) -> Path:  # fmt: skip
    """Load the round (flexunity/cli/posted_round.py), render it (flexunity/lab/round_page.py), write it."""
    from flexunity.cli.posted_round import load_posted_round
    from flexunity.errors import InputError
    from flexunity.lab.round_page import html

    posted = load_posted_round(manifest_path, round_id, store_dir, rpc_url=rpc_url, w3=w3)
    page = html(posted)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", where=str(out)) from None
    return out
