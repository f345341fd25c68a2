"""``ape run deploy`` (scripts/deploy.py) deploys through Ape's provider and writes the same manifest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flexunity.chain.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.chain
@pytest.mark.slow
def test_ape_run_deploy_on_the_local_test_network(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "SOLCX_BINARY_PATH": str(ROOT / ".solcx"),
    }
    out = tmp_path / "manifest.json"
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ape"), "run", "deploy", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    manifest = load_manifest(out)
    assert manifest.chain_id == 1337 and manifest.rpc_url is None
    assert {"CommunityRegistry", "RoundBook", "ClearingHouse", "SettlementEscrow"} <= set(manifest.contracts)
