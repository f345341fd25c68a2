"""The pilot rehearsal (tools/pilot_rehearsal.py) on anvil: separate parties, everything through the CLI.

anvil runs with a chain id of its own (not 31337) and 1-second blocks; the CM, the supplier, the arbiter
and five peers each have their own keystore and folder; the CM deploys, funds, enrols, runs three
rounds with orders signed by the peers, distributes balancing revenue that the peers claim; a peer
withdraws; the auditor, in an empty folder with only the manifest URL (``flexunity serve``) and the RPC
URL, audits every round; the token supply is accounted for to the base unit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flexunity.chain.devnet import anvil

pytestmark = pytest.mark.devnet

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 4_242_421


def test_a_pilot_rehearsal_passes_end_to_end(tmp_path: Path) -> None:
    with anvil(chain_id=CHAIN_ID, block_time=1) as node:
        command = [
            sys.executable, str(ROOT / "tools" / "pilot_rehearsal.py"), "--rpc", node.rpc_url,
            "--chain-id", str(CHAIN_ID), "--workdir", str(tmp_path / "work"), "--devnet",
            "--peers", "5", "--rounds", "3",
        ]  # fmt: skip
        env = {**os.environ, "FLEXUNITY_PASSPHRASE": "rehearsal-test", "NO_COLOR": "1", "COLUMNS": "200"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert "rehearsal PASSED" in out
    assert len(re.findall(r"\bPASS\b", out.split("=== 7.")[1])) >= 3, out[-4000:]
    assert "balances add up" in out
    assert re.search(r"claimed .* from distribution 1", out)
    assert "withdrew" in out
    auditor = tmp_path / "work" / "auditor"
    assert sorted(p.name for p in auditor.iterdir()) == []  # the auditor kept nothing but its two URLs
