"""The pilot registry (``flexunity scenario --list``) and the writer of folder scenarios.

A folder scenario (docs/scenario-format.md) is ``scenario.json`` plus ``profiles.csv``: every
per-interval profile of the inline dict moves to a CSV column and is replaced by
``{"csv": "profiles.csv", "column": NAME}``. Constant profiles stay numbers in the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from flexunity.data.pilots import corby, iberia
from flexunity.errors import InputError

PROFILE_KEYS = frozenset(
    {
        "load_kw",
        "pv_kw",
        "profile_kw",
        "preferred_kw",
        "import_price",
        "export_price",
        "a",
        "b",
        "p_min_kw",
        "p_max_kw",
    }
)
PROFILES_CSV = "profiles.csv"


@dataclass(frozen=True)
class Pilot:
    """A registered pilot: ``build(day, seed=..., days=...)`` returns an inline scenario dict."""

    name: str
    description: str
    timezone: str
    interval_minutes: int
    build: Callable[..., dict[str, Any]]


def _pilot(module: ModuleType) -> Pilot:
    return Pilot(module.NAME, module.DESCRIPTION, module.TIMEZONE, module.INTERVAL_MINUTES, module.scenario)


PILOTS: dict[str, Pilot] = {p.name: p for p in (_pilot(corby), _pilot(iberia))}


def get_pilot(name: str) -> Pilot:
    """The pilot called ``name``; an ``InputError`` lists the known ones otherwise."""
    try:
        return PILOTS[name]
    except KeyError:
        raise InputError(f"unknown pilot {name!r}; known: {', '.join(sorted(PILOTS))}") from None


def build_pilot(name: str, day: date | str, *, seed: int = 0, days: int = 1) -> dict[str, Any]:
    """The inline scenario dict of pilot ``name`` for ``days`` local days from ``day``."""
    return get_pilot(name).build(day, seed=seed, days=days)


def _extract(node: Any, path: str, intervals: int, columns: dict[str, list[float]]) -> Any:
    """Copy of ``node`` with every per-interval profile list replaced by a CSV reference."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if key in PROFILE_KEYS and isinstance(value, list) and len(value) == intervals:
                columns[here] = value
                out[key] = {"csv": PROFILES_CSV, "column": here}
            else:
                out[key] = _extract(value, here, intervals, columns)
        return out
    if isinstance(node, list):
        return [_extract(v, f"{path}.{i}", intervals, columns) for i, v in enumerate(node)]
    return node


def _column_paths(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario with peers keyed by id and tariffs by name, for readable CSV column names."""
    return {
        "tariff": scenario.get("tariffs", {}),
        "grid": scenario.get("grid", {}),
        **{p["id"]: p for p in scenario.get("peers", [])},
    }


def write_folder(scenario: dict[str, Any], out_dir: str | Path) -> Path:
    """Write ``scenario`` (profiles inline) as ``out_dir/scenario.json`` + ``out_dir/profiles.csv``.

    CSV columns: ``interval`` (0..T-1), ``timestamp`` (ISO 8601 with offset, for people), then one
    column per profile named ``<peer id>.<key>``, ``<peer id>.curtailable_loads.<i>.profile_kw``
    or ``tariff.<name>.<key>``. Returns the path of ``scenario.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    intervals = int(scenario["intervals"])
    columns: dict[str, list[float]] = {}
    keyed = _extract(_column_paths(scenario), "", intervals, columns)
    doc = dict(scenario)
    doc["tariffs"] = keyed["tariff"]
    doc["grid"] = keyed["grid"]
    doc["peers"] = [keyed[p["id"]] for p in scenario.get("peers", [])]
    start = pd.Timestamp(scenario["start"]).tz_convert(scenario["timezone"])
    index = pd.date_range(start, periods=intervals, freq=f"{scenario['interval_minutes']}min")
    frame = pd.DataFrame(
        {"interval": range(intervals), "timestamp": [t.isoformat() for t in index], **columns}
    )
    frame.to_csv(out / PROFILES_CSV, index=False)
    path = out / "scenario.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path
