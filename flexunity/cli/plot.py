"""``flexunity plot``: one PNG of a cleared day.

``flexunity plot SCENARIO RESULT.json`` plots a ``flexunity clear`` result; ``flexunity plot --round R
--manifest M`` plots a round posted on chain, from its result document (fetched by the hash the chain
holds, from the store beside the manifest, ``--store`` or ``flexunity serve``). A round-result
document given as RESULT.json is plotted from its own scenario and clearing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from flexunity.errors import InputError

ROUND_RESULT = "flexunity-round-result/1"


@click.command()
@click.argument(
    "scenario_path", metavar="[SCENARIO]", required=False, type=click.Path(exists=True, path_type=Path)
)
@click.argument(
    "result_path", metavar="[RESULT.json]", required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)  # fmt: skip
@click.option(
    "--round", "round_id", type=int, default=None, help="A round posted on chain (with --manifest)."
)
@click.option("--manifest", "manifest_path", default=None, help="The deployment manifest: a file or a URL.")
@click.option(
    "--store", "store_dir", default=None, help="Documents: a folder or a URL (default: beside the manifest)."
)
@click.option("--rpc", "rpc_url", default=None, help="JSON-RPC URL (default: the manifest's).")
@click.option(
    "--out", "out", default="day.png", show_default=True, type=click.Path(dir_okay=False, path_type=Path)
)
def plot(
    scenario_path: Path | None, result_path: Path | None, round_id: int | None, manifest_path: str | None,
    store_dir: str | None, rpc_url: str | None, out: Path,
) -> None:  # fmt: skip
    """Plot community load, PV, grid import/export, battery state and prices of a cleared round."""
    from flexunity.report.plots import plot_day

    if round_id is not None or manifest_path is not None:
        if round_id is None or manifest_path is None:
            raise InputError("a posted round needs both --round R and --manifest M")
        document = _posted_document(manifest_path, round_id, store_dir, rpc_url)
        scenario, result = document["scenario"], document["clearing"]
    elif scenario_path is None:
        raise InputError("give SCENARIO RESULT.json, a round-result document, or --round R --manifest M")
    else:
        path = result_path or scenario_path
        loaded = _json_object(path)
        if loaded.get("format") == ROUND_RESULT:
            scenario, result = loaded["scenario"], loaded["clearing"]
        elif result_path is None:
            raise InputError("missing RESULT.json (a flexunity clear result) after the scenario")
        else:
            scenario, result = scenario_path, loaded
    click.echo(f"wrote {plot_day(scenario, result, out)}")


def _json_object(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", where=str(path)) from None
    if not isinstance(loaded, dict):
        raise InputError("expected a JSON object (a flexunity clear result)", where=str(path))
    return loaded


def _posted_document(manifest_path: str, round_id: int, store_dir: str | None, rpc_url: str | None) -> Any:
    from flexunity.cli.peer_connect import reader_chain
    from flexunity.record.store import default_store, open_store

    chain = reader_chain(manifest_path, rpc_url)
    digest = chain.posted_document_hash(round_id)
    if not digest:
        raise InputError(f"round {round_id} has no posted result yet", where="--round")
    return open_store(store_dir or default_store(manifest_path)).get_json(digest)
