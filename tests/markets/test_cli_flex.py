"""``flexunity flex``: offer reasons and a simulated delivery through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from flexunity.cli import cli
from flexunity.data.scenario_io import save_scenario
from flexunity.model import Scenario


def test_offer_to_demand_turn_up_explains_why_not(battery_community: Scenario, tmp_path: Path) -> None:
    path = save_scenario(battery_community, tmp_path / "s.json")
    result = CliRunner().invoke(
        cli, ["flex", "offer", "--scenario", str(path), "--product", "GB-DTU", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["offered"] is False
    assert any("minimum site size of 100 kW" in r for r in doc["reasons"])


def test_simulated_delivery_pays_only_deliverers(battery_community: Scenario, tmp_path: Path) -> None:
    path = save_scenario(battery_community, tmp_path / "s.json")
    products = tmp_path / "products.json"
    products.write_text(
        json.dumps(
            {
                "format": "flexunity-products/1",
                "products": [
                    {
                        "name": "toy",
                        "direction": "down",
                        "min_offer_kw": 5,
                        "min_site_kw": 1,
                        "notice_minutes": 60,
                        "duration_minutes": 120,
                        "utilisation_price_per_mwh": 100,
                        "penalty_per_mwh": 200,
                    }
                ],
            }
        )
    )
    args = [
        "flex",
        "deliver",
        "--scenario",
        str(path),
        "--product",
        "toy",
        "--products",
        str(products),
        "--simulate",
        "--seed",
        "1",
        "--probability",
        "1",
        "--failure",
        "0",
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["activations"]
    assert doc["payouts"]["c"] == 0  # c has no flexible asset
    assert doc["total_payout"] == sum(a["sharing"]["revenue_base_units"] for a in doc["activations"])
