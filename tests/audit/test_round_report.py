"""``flexunity report --round R --manifest M`` as a peer or an auditor meets it: the page of a settled round
(a peer's bill and settled amount, the audit's verdict check by check), a dishonest round shown FAIL,
a one-line error for a round that is not on chain, and the page in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pytest
from audit_world import World, overbilling_clearer

from flexunity.audit import audit_rounds
from flexunity.cli import main
from flexunity.demo.options import Timer
from flexunity.demo.prepare import open_round_with_orders
from flexunity.lab.report import fmt

pytestmark = pytest.mark.chain
CHROMIUM = shutil.which("chromium")


def run_cli(monkeypatch: pytest.MonkeyPatch, world: World, *args: str) -> int:
    """``flexunity report ...`` through the console entry point, its node being the world's eth-tester."""
    monkeypatch.setattr("flexunity.chain.reader.connect", lambda url, manifest: world.w3)
    monkeypatch.setattr(sys, "argv", ["flexunity", "report", "--manifest", str(world.manifest_path), *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def cells(page: str, label: str) -> list[str]:
    """The cells of the bills table's row for the peer labelled ``label``."""
    row = re.search(rf"<tr><td title=\"[^\"]*\">{label}</td>(.*?)</tr>", page, re.S)
    assert row, label
    return re.findall(r"<td>([^<]*)</td>", row.group(1))


@pytest.fixture(scope="module")
def settled_page(world: World, clean_round: tuple[int, dict[str, Any]], tmp_path_factory: Any) -> Path:
    """The page of the clean, settled round, written by the command."""
    out = tmp_path_factory.mktemp("report") / "round.html"
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert run_cli(monkeypatch, world, "--round", str(clean_round[0]), "--out", str(out)) == 0
    return out


def test_report_of_a_settled_round_shows_each_bill_and_the_verdict(
    world: World, clean_round: tuple[int, dict[str, Any]], settled_page: Path
) -> None:
    round_id, data = clean_round
    page = settled_page.read_text()
    assert "<script" not in page and "<link" not in page and 'src="http' not in page  # self-contained
    assert page.count("<svg") == 3
    document = world.document(data)
    sunny = next(p["id"] for p in document["scenario"]["peers"] if p["metadata"]["label"] == "sunny")
    bill = document["clearing"]["bills"][sunny]
    alone = document["clearing"]["standalone_bills"][sunny]["total"]
    leaf = next(x for x in document["settlement"]["leaves"] if x["account"].lower() == sunny.lower())
    row = cells(page, "sunny")
    # import, export, trades, fees, grid term, side payment, bill, no trading, saving, settled on chain
    assert row[2] == fmt(bill["trades"], "money") and row[6] == fmt(bill["total"], "money")
    assert row[8] == fmt(alone - bill["total"], "money")
    settled = (-1 if leaf["isCredit"] else 1) * leaf["amount"] / 10**6
    assert row[9] == fmt(settled, "money") and bill["total"] < 0 and row[9].startswith("-")  # sunny is paid
    # the verdict: the audit's own, every check by name
    verdict = audit_rounds(world.manifest_path, world.store, [round_id], w3=world.w3)[0]
    assert verdict.status == "PASS" and "audit PASS" in page
    for check in verdict.checks:
        assert f"<td>{check.name}</td>" in page
    assert "✗ FAIL" not in page
    leaves = len(document["settlement"]["leaves"])
    assert f"{leaves} of {leaves} leaves settled by the escrow" in page


def test_a_round_the_audit_fails_is_reported_fail_with_its_reason(
    world: World, clean_round: tuple[int, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_id, _ = world.run_round(clearer=overbilling_clearer, settle=False)
    out = tmp_path / "bad.html"
    assert run_cli(monkeypatch, world, "--round", str(round_id), "--out", str(out)) == 0
    page = out.read_text()
    assert "audit FAIL" in page
    failing = re.search(r"<td>bills</td><td class=\"fail\">✗ FAIL</td>\s*<td class=\"detail\">([^<]*)", page)
    assert failing and "from the prices" in failing.group(1)


def test_an_unknown_round_is_one_line_and_exit_2(
    world: World, clean_round: tuple[int, dict[str, Any]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "none.html"
    assert run_cli(monkeypatch, world, "--round", "99", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and "Traceback" not in err
    assert "--round: round 99 is not on chain (the chain has round" in err
    assert not out.exists()


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (tools/setup.sh installs it as root)"
)
def test_the_report_renders_in_headless_chromium(settled_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "round.png"
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--hide-scrollbars", "--window-size=1200,3000", f"--screenshot={shot}", settled_page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.exists(), done.stderr
    pixels = mpimg.imread(shot)[:, :, :3]
    assert pixels.shape[:2] == (3000, 1200)
    rows = pixels.reshape(-1, 3)
    assert np.std(rows) > 0.05  # not a blank page
    # the PASS badge's green and the bills chart's blue bars are drawn
    for colour in ((0x27, 0xAE, 0x60), (0x2B, 0x7B, 0xBA)):
        assert (np.abs(rows - np.array(colour) / 255).sum(axis=1) < 0.05).mean() > 0.0005, colour
    if keep := os.environ.get("FLEXUNITY_KEEP_SCREENSHOT"):  # to refresh docs/report-round.png
        shutil.copy(shot, keep)


def test_a_round_without_a_posted_result_is_one_line_and_exit_2(
    world: World, clean_round: tuple[int, dict[str, Any]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    round_id, _ = open_round_with_orders(world.community, world.scenario, Timer({}, lambda _: None))
    assert run_cli(monkeypatch, world, "--round", str(round_id), "--out", str(tmp_path / "open.html")) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: --round: round {round_id} has no posted result yet"
