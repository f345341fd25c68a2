"""``flexunity clear DIR --many``: one result per scenario, failures reported per row, exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parents[1] / "optimize" / "golden"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flexunity", *args], capture_output=True, text=True)


def test_many_clears_each_scenario_and_names_the_broken_one(tmp_path: Path) -> None:
    names = sorted(p.name for p in GOLDEN.glob("*.json"))[:3]
    for name in names:
        shutil.copy(GOLDEN / name, tmp_path / name)
    (tmp_path / "broken.json").write_text('{"format": "bad"}')
    out = tmp_path / "out"
    done = run("clear", str(tmp_path), "--many", "--engine", "highs", "--out", str(out), "--format", "json")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "1 of 4 scenarios failed: broken" in done.stderr
    rows = json.loads(done.stdout)
    assert [r["scenario"] for r in rows] == sorted(["broken", *(n.removesuffix(".json") for n in names)])
    by_name = {r["scenario"]: r for r in rows}
    assert "format" in by_name.pop("broken")["error"]
    for row in by_name.values():
        doc = json.loads(Path(row["result"]).read_text())
        assert doc["solver"] == {"engine": "highs"}
        assert doc["objective"] == row["objective"]


def test_many_needs_a_folder(tmp_path: Path) -> None:
    done = run("clear", str(GOLDEN / "pv_consumer.json"), "--many")
    assert done.returncode == 2 and "must be a folder" in done.stderr
