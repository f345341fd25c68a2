"""``flexunity allocate``: value files and scenario savings, JSON out, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from flexunity.cli import cli
from flexunity.data.scenario_io import save_scenario
from flexunity.model import CommunitySettings, Peer, Scenario, Tariff


def run(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["allocate", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_value_file_shapley_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "value.json"
    path.write_text(
        json.dumps(
            {
                "format": "flexunity-value/1",
                "total": 100000,
                "threshold": 1000,
                "peers": {"a": {"contribution": 600}, "b": {"contribution": 500}, "c": {"contribution": 400}},
            }
        )
    )
    doc = run("--rule", "shapley", "--value", str(path))
    # hand: φ = 850, 350, 300 of v(N) = 1500
    assert doc["shares"] == {"a": 56667, "b": 23333, "c": 20000}
    assert doc["core"]["in_core"] is True


def test_scenario_savings_are_shared_exactly(tmp_path: Path) -> None:
    t = 4
    tariffs = {"std": Tariff(np.full(t, 0.30), np.full(t, 0.05))}
    peers = (
        Peer("pv", "std", np.full(t, 1.0), np.full(t, 5.0), metadata={"low_income": False}),
        Peer("home1", "std", np.full(t, 2.0), metadata={"low_income": True}),
        Peer("home2", "std", np.full(t, 2.0)),
    )
    scenario = Scenario("tiny", t, 60, tariffs, peers, community=CommunitySettings(fee_per_kwh=0.01))
    path = save_scenario(scenario, tmp_path / "tiny.json")
    # 4 kWh surplus meets 4 kWh deficit each hour: 4 h × 4 kWh × (0.30 − 0.05 − 0.02) = 3.68 GBP = 368 pence
    for rule in ("equal", "shapley", "stakeholder", "pro-rata", "renewable", "mix:shapley=1,stakeholder=1"):
        doc = run("--rule", rule, "--scenario", str(path))
        assert doc["total"] == 368
        assert sum(doc["shares"].values()) == 368
    shapley = run("--rule", "shapley", "--scenario", str(path))
    # v(pv+home) = 4 × 2 × 0.23 = 1.84 = v(N)/2; φ_pv = 1.84, each home 0.92
    assert shapley["shares"] == {"pv": 184, "home1": 92, "home2": 92}
    assert shapley["context"]["method"] == "closed-form"


def test_missing_source_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["allocate", "--rule", "equal"])
    assert result.exit_code != 0
