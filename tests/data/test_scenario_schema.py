"""The JSON Schemas agree with the loader and with the result documents clear() writes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from flexunity.data.scenario_io import load_scenario, scenario_to_dict
from flexunity.optimize import clear

GOLDEN = Path(__file__).parents[1] / "optimize" / "golden"
SCHEMA = Path(__file__).parents[2] / "flexunity" / "data" / "schema"


def test_golden_scenarios_and_their_round_trip_match_the_scenario_schema() -> None:
    schema = json.loads((SCHEMA / "scenario.schema.json").read_text())
    for path in sorted(GOLDEN.glob("*.json")):
        jsonschema.validate(json.loads(path.read_text()), schema)
        jsonschema.validate(scenario_to_dict(load_scenario(path)), schema)


def test_result_documents_match_the_result_schema() -> None:
    schema = json.loads((SCHEMA / "result.schema.json").read_text())
    for path in sorted(GOLDEN.glob("*.json")):
        for rule in ("dual", "mmr"):
            jsonschema.validate(json.loads(json.dumps(clear(load_scenario(path), rule).to_dict())), schema)
