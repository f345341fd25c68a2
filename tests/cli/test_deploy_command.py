"""``flexunity deploy`` on the devnets (keystore + custom chain id: tests/oracle/test_deploy_keystore.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flexunity.chain.manifest import load_manifest


def deploy(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flexunity", "deploy", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.devnet
def test_deploy_on_a_fresh_anvil_writes_the_manifest(tmp_path: Path) -> None:
    done = deploy("--out", str(tmp_path / "m.json"), "--exit")
    assert done.returncode == 0, done.stderr
    manifest = load_manifest(tmp_path / "m.json")
    assert (
        manifest.chain_id == 31337 and manifest.rpc_url and manifest.rpc_url.startswith("http://127.0.0.1:")
    )
    assert manifest.compiler["version"] == "0.8.28"
    assert all(c.block > 0 and len(c.abi_hash) == 64 for c in manifest.contracts.values())


@pytest.mark.chain
def test_deploy_on_eth_tester(tmp_path: Path) -> None:
    done = deploy("--network", "eth-tester", "--out", str(tmp_path / "m.json"))
    assert done.returncode == 0, done.stderr
    assert load_manifest(tmp_path / "m.json").network == "eth-tester"


def test_pilot_without_its_url_is_a_user_error(tmp_path: Path) -> None:
    done = deploy("--network", "pilot", "--out", str(tmp_path / "m.json"))
    assert (
        done.returncode != 0 and "FLEXUNITY_PILOT_RPC_URL" in done.stderr and "Traceback" not in done.stderr
    )
