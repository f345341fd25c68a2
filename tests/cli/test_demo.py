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
