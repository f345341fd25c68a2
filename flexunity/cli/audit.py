"""``flexunity audit``: verify every round from the chain and the published documents (docs/audit.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from flexunity.cli.options import MANIFEST, RPC


def default_store(manifest_path: Path) -> Path:
    """The store next to the manifest (as ``flexunity demo`` writes them), else ``./flexunity-store``."""
    beside = manifest_path.parent / "store"
    return beside if beside.is_dir() else Path("flexunity-store")


@click.command()
@MANIFEST
@click.option(
    "--round", "rounds", type=int, multiple=True, help="Only this round (repeatable; default: all)."
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of published documents (default: 'store' beside the manifest, else ./flexunity-store).",
)
@RPC
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--verbose", "-v", is_flag=True, help="Show every check, not only the failing ones.")
def audit(
    manifest_path: Path, rounds: tuple[int, ...], store_dir: Path | None, rpc_url: str | None, fmt: str,
    verbose: bool,
) -> None:  # fmt: skip
    """Re-derive and verify every round from the chain alone; exit 5 if any round fails."""
    code = run_audit(
        manifest_path, store_dir, list(rounds) or None, rpc_url=rpc_url, fmt=fmt, verbose=verbose
    )
    if code:
        sys.exit(code)


def run_audit(
    manifest_path: Path, store_dir: Path | None, rounds: list[int] | None, *, rpc_url: str | None = None,
    fmt: str = "table", verbose: bool = False, w3: Any = None,
) -> int:  # fmt: skip
    """Audit, print the verdicts, return the exit code (0: no round failed)."""
    from rich.console import Console

    from flexunity.audit import AUDIT_FAILED_EXIT_CODE, Tolerances, audit_rounds
    from flexunity.audit.report import print_table, verdicts_json

    tolerances = Tolerances()
    store = store_dir or default_store(manifest_path)
    verdicts = audit_rounds(manifest_path, store, rounds, w3=w3, rpc_url=rpc_url, tolerances=tolerances)
    if fmt == "json":
        click.echo(verdicts_json(verdicts, tolerances))
    else:
        print_table(verdicts, Console(), verbose=verbose)
    return AUDIT_FAILED_EXIT_CODE if any(not v.passed for v in verdicts) else 0
