"""``flexunity compare`` as a user meets it: the files it writes, the page in headless Chromium, and
one-line errors for bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from flexunity.data.scenario_io import save_scenario
from flexunity.lab import compare, report
from flexunity.lab.designs_spec import parse
from flexunity.optimize.benchmark import random_community

CHROMIUM = shutil.which("chromium")


def small(tmp_path: Path) -> Path:
    return save_scenario(random_community(6, 12, seed=2), tmp_path / "six.json")


def flexunity(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flexunity", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_compare_writes_a_self_contained_report_and_the_kpis(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = flexunity("compare", str(small(tmp_path)), "--days", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "community (dual)" in done.stdout and "wrote" in done.stdout
    page = (out / "report.html").read_text()
    assert "<svg" in page and page.count("<figure>") == 5  # with --days 2, the saving of each day too
    assert (
        "<script" not in page and "<link" not in page and 'src="http' not in page
    )  # no CDN, nothing fetched
    with (out / "kpis.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    names = [r["design"] for r in rows]
    assert (
        names[0] == "none"
        and "hybrid" in names
        and "cda (ZIP)" in names
        and "bilateral (preferences)" in names
    )
    doc = json.loads((out / "kpis.json").read_text())
    assert doc["format"] == "flexunity-compare/1" and doc["days"] == 2
    assert {d["design"] for d in doc["designs"]} == set(names)
    assert all(d["money_residual"] < 1e-9 for d in doc["designs"])
    assert all(
        len(d["daily_cost"]) == 2 and np.isclose(sum(d["daily_cost"]), d["total_cost"])
        for d in doc["designs"]
    )
    with (out / "peers.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 6 * len(names)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup.sh installs it as root)"
)
def test_the_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    sc = random_community(8, 24, seed=4)
    result = compare.run(lambda i: sc, parse("none,community,pay-as-clear,cda,bilateral,hybrid"), 1)
    page = report.write(result, tmp_path)["report.html"]
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--hide-scrollbars",
            "--window-size=1200,1800",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), done.stderr
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (1800, 1200)
    rows = pixels[:, :, :3].reshape(-1, 3)
    assert np.std(rows) > 0.05  # not a blank page
    # the cost chart's blue bars are drawn (matplotlib's SVG rendered, not just text)
    blue = (np.abs(rows - np.array([0x2B, 0x7B, 0xBA]) / 255).sum(axis=1) < 0.05).mean()
    assert blue > 0.001


def test_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    scenario = small(tmp_path)
    for args, words in [
        (["--designs", "none,auction"], "unknown design 'auction'"),
        (["--agents", "genius"], "unknown agent 'genius'"),
        (["--preferences", "green=abc"], "is not KEY=NUMBER"),
        (["--groups", "colour"], "unknown grouping 'colour'"),
    ]:
        done = flexunity("compare", str(scenario), "--out", str(tmp_path / "x"), *args)
        assert done.returncode == 2, (args, done.stderr)
        assert words in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    missing = flexunity("compare", str(tmp_path / "nope.json"), "--out", str(tmp_path / "x"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
