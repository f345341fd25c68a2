"""``flexunity audit`` without a chain: a dead node is one readable line and exit code 4."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from flexunity.chain.devnet import free_port
from flexunity.chain.manifest import DeployedContract, Manifest
from flexunity.cli import main
from flexunity.errors import ChainError


def test_dead_node_is_reported_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    contracts = {"RoundBook": DeployedContract("0x" + "11" * 20, 1, "0x")}
    manifest = Manifest(31337, contracts, {}).save(tmp_path / "manifest.json")
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(sys, "argv", ["flexunity", "audit", "--manifest", str(manifest), "--rpc", url])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == ChainError.exit_code
    err = capsys.readouterr().err
    assert f"cannot reach the node at {url}" in err and "Traceback" not in err


def test_missing_manifest_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["flexunity", "audit", "--manifest", str(tmp_path / "none.json")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2


def test_json_of_verdicts_names_the_tolerances() -> None:
    from flexunity.audit import Check, RoundVerdict, Tolerances
    from flexunity.audit.report import verdicts_json

    verdict = RoundVerdict(3, [Check("bills", False, "trades of a is 1, 0.5 from the prices")])
    report = json.loads(verdicts_json([verdict], Tolerances()))
    assert report["passed"] is False
    assert report["tolerances"]["objective_rel"] == 1e-6
    assert report["rounds"][0] == {
        "round": 3, "status": "FAIL", "passed": False, "seconds": 0.0,
        "checks": [{"name": "bills", "passed": False, "detail": "trades of a is 1, 0.5 from the prices"}],
    }  # fmt: skip
