"""The audit's verdicts for people (a rich table) and for programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from flexunity.audit.verdict import RoundVerdict, Tolerances

STYLE = {"PASS": "bold green", "FAIL": "bold red", "PENDING": "yellow"}


def verdicts_table(verdicts: Sequence[RoundVerdict], *, verbose: bool = False) -> Table:
    """One row per round (its failing checks with their reasons), or one row per check with ``verbose``."""
    table = Table(title="FlexUnity audit", show_lines=verbose)
    for name in ("round", "status", "checks", "seconds", "reasons" if not verbose else "check / detail"):
        table.add_column(name, overflow="fold", justify="right" if name in ("round", "seconds") else "left")
    for v in verdicts:
        status = f"[{STYLE[v.status]}]{v.status}[/]"
        passed = f"{sum(c.passed for c in v.checks)}/{len(v.checks)}"
        if verbose:
            lines = [f"{'✓' if c.passed else '✗'} {c.name}: {c.detail}" for c in v.checks]
        else:
            lines = [f"{c.name}: {c.detail}" for c in v.failures] or ["—"]
        table.add_row(str(v.round_id), status, passed, f"{v.seconds:.2f}", "\n".join(lines))
    return table


def print_table(verdicts: Sequence[RoundVerdict], console: Console, *, verbose: bool = False) -> None:
    if not verdicts:
        console.print("no rounds to audit")
        return
    console.print(verdicts_table(verdicts, verbose=verbose))
    failed = [v.round_id for v in verdicts if not v.passed]
    if failed:
        console.print(f"[bold red]FAIL[/]: round(s) {', '.join(map(str, failed))} failed the audit")
    else:
        console.print(f"[bold green]PASS[/]: {len(verdicts)} round(s) audited, none failed")


def verdicts_json(verdicts: Sequence[RoundVerdict], tolerances: Tolerances) -> str:
    document = {
        "format": "flexunity-audit/1",
        "passed": all(v.passed for v in verdicts),
        "tolerances": tolerances.to_dict(),
        "rounds": [v.to_dict() for v in verdicts],
    }
    return json.dumps(document, indent=2)
