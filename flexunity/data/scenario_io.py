"""Read and write scenarios (docs/scenario-format.md): one JSON file, or a folder with
``scenario.json`` and CSV profiles read with pandas.

The entry points; the work is done by ``scenario_reader`` (parsing context, CSV profiles),
``scenario_parse`` (document -> validated Scenario, units converted to kW and currency/kWh, errors
naming the file, peer, field and interval) and ``scenario_write`` (Scenario -> document or folder,
canonical units).
"""

from __future__ import annotations

import json
from pathlib import Path

from flexunity.data.scenario_parse import FORMAT, scenario_from_dict
from flexunity.data.scenario_write import PROFILES_CSV, save_scenario, scenario_to_dict
from flexunity.errors import InputError
from flexunity.model import Scenario

__all__ = [
    "FORMAT",
    "PROFILES_CSV",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a JSON file or a folder holding ``scenario.json`` and its CSV profiles."""
    p = Path(path)
    file = p / "scenario.json" if p.is_dir() else p
    try:
        doc = json.loads(file.read_text())
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror}", where=str(file)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", where=str(file)) from None
    return scenario_from_dict(doc, base_dir=file.parent, source=str(file))
