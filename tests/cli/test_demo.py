"""``flexunity demo``: the README's first command, end to end on anvil with the Corby pilot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.devnet
def test_demo_corby_on_anvil_prints_a_full_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flexunity", "demo", "--pilot", "corby", "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    (only,) = summary["rounds"]
    assert summary["peers"] >= 34 and len(only["peers"]) == summary["peers"]
    assert Path(only["result_document"]).exists() and Path(summary["manifest"]).exists()
    assert all(p["standalone"] is not None for p in only["peers"])
    assert {"deploy", "orders", "oracle: settle", "withdrawals"} <= set(summary["wall_s"])
    assert summary["gas"]["oracle: settle"] > 0 and summary["gas"]["orders"] > 0
    assert summary["audit"]["status"] in {"PASS", "SKIPPED"}


@pytest.mark.chain
def test_demo_on_eth_tester_with_a_generated_community(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "flexunity", "demo", "--peers", "3", "--network", "eth-tester"]
    done = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "against standalone" in done.stdout and "Wall time and gas per step" in done.stdout


def test_the_summary_shows_an_undefined_kpi_as_n_a() -> None:
    """A community without generation has no self-consumption (None): the summary says n/a (it crashed)."""
    from io import StringIO

    from rich.console import Console

    from flexunity.cli.demo import print_summary

    kpis = {"total_bill": 88.65, "standalone_cost": 91.74, "saving": 2.99, "saving_fraction": 0.033,
            "self_sufficiency": 0.0, "self_consumption": None, "peak_import_kw": 120.3,
            "internal_traded_kwh": 165.2}  # fmt: skip
    peer = {"peer": "peer-00000", "bill": 6.72, "standalone": 6.96, "cost": 6.79, "standalone_cost": 7.03}
    summary = {
        "rounds": [{"round": 1, "currency": "GBP", "peers": [peer], "kpis": kpis, "gate_to_settled_s": 0.6,
                    "leaves": 3, "merkle_root": "0x" + "16" * 32, "result_document": "doc.json"}],
        "wall_s": {"deploy": 0.6}, "gas": {"deploy": 1}, "txs": {"deploy": 1}, "audit": {"status": "PASS",
        "note": "", "rounds": []}, "notes": [], "revenue": [], "chain_id": 1, "network": "anvil",
        "manifest": "m.json", "store": "store", "plot": None, "devnet_clock": "moved",
    }  # fmt: skip
    out = StringIO()
    print_summary(Console(file=out, width=200), summary)
    assert "self-sufficiency 0.0 %, self-consumption n/a" in out.getvalue()
