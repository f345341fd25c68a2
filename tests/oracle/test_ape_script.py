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
    assert "the manifest describes a chain now gone" in done.stderr


@pytest.mark.devnet
@pytest.mark.slow
def test_ape_run_deploy_to_a_pilot_testnet_by_its_url(tmp_path: Path) -> None:
    """No network entry to edit: the URL and the chain id come from the environment."""
    from flexunity.chain.devnet import anvil

    with anvil(chain_id=4242) as node:
        env = {
            **os.environ,
            "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
            "SOLCX_BINARY_PATH": str(ROOT / ".solcx"),
            "FLEXUNITY_PILOT_RPC_URL": node.rpc_url,
        }
        command = [str(ROOT / ".venv" / "bin" / "ape"), "run", "deploy", "--network", node.rpc_url]
        out = tmp_path / "manifest.json"
        wrong = subprocess.run(
            [*command, "--out", str(out)], cwd=ROOT, env={**env, "FLEXUNITY_PILOT_CHAIN_ID": "424242"},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert (
            wrong.returncode != 0 and "reports chain id 4242, expected 424242" in wrong.stdout + wrong.stderr
        )
        assert not out.exists()
        done = subprocess.run(
            [*command, "--out", str(out)], cwd=ROOT, env={**env, "FLEXUNITY_PILOT_CHAIN_ID": "4242"},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr + done.stdout
        manifest = load_manifest(out)
        assert manifest.chain_id == 4242 and manifest.rpc_url == node.rpc_url
        assert manifest.parameters["test_chain"] is False
