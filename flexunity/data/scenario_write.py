"""A scenario back to its document, in canonical units (kW, currency/kWh): inline, or a folder with
``scenario.json`` and ``profiles.csv`` (docs/scenario-format.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexunity.data.scenario_parse import ASSET_PARSERS, FORMAT
from flexunity.model import Scenario, ShiftableLoad

PROFILES_CSV = "profiles.csv"


def _clean(value: Any) -> Any:
    """numpy to plain JSON: arrays to lists, constant arrays kept as lists (explicit T values)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _clean(x) for k, x in value.items() if x is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(x) for x in value]
    return value


def _asset_dict(asset: Any) -> dict[str, Any]:
    out = {k: getattr(asset, k) for k in asset.__dataclass_fields__}
    if isinstance(asset, ShiftableLoad):
        out["window"] = list(asset.window)
    return out


def scenario_to_dict(sc: Scenario) -> dict[str, Any]:
    """The JSON document of a scenario, profiles inline, in canonical units (kW, currency/kWh)."""
    peers = []
    for p in sc.peers:
        doc: dict[str, Any] = {
            "id": p.id,
            "kind": p.kind,
            "tariff": p.tariff,
            "load_kw": p.load_kw,
            "pv_kw": p.pv_kw,
            "delta_imp": p.delta_imp,
            "delta_exp": p.delta_exp,
        }
        for key in ASSET_PARSERS:
            items = getattr(p, key)
            if items:
                doc[key] = [_asset_dict(a) for a in items]
        if p.cost_function is not None:
            doc["cost_function"] = _asset_dict(p.cost_function)
        if p.metadata:
            doc["metadata"] = p.metadata
        peers.append(doc)
    g = sc.grid
    return _clean(
        {
            "format": FORMAT,
            "name": sc.name,
            "start": sc.start,
            "timezone": sc.timezone,
            "interval_minutes": sc.interval_minutes,
            "intervals": sc.intervals,
            "currency": sc.currency,
            "units": {"power": "kW", "price": f"{sc.currency}/kWh"},
            "tariffs": {
                k: {
                    "import_price": t.import_price,
                    "export_price": t.export_price,
                    "country": t.country,
                    "tso_area": t.tso_area,
                }
                for k, t in sc.tariffs.items()
            },
            "grid": {
                "connected": g.connected,
                "import_price": g.import_price,
                "export_price": g.export_price,
                "capacity_charge_per_kw": g.capacity_charge_per_kw,
                "max_import_kw": g.max_import_kw,
                "max_export_kw": g.max_export_kw,
            },
            "community": {
                "fee_per_kwh": sc.community.fee_per_kwh,
                "pricing": sc.community.pricing,
                "pwl_segments": sc.community.pwl_segments,
                "enforce_ir": sc.community.enforce_ir,
                # written only when not the default, so documents of exact rounds stay as they were
                **({} if sc.community.quadratic == "exact" else {"quadratic": sc.community.quadratic}),
            },
            "peers": peers,
            "metadata": sc.metadata,
        }
    )


def _move_profiles(node: Any, path: str, intervals: int, columns: dict[str, list[float]]) -> Any:
    """Replace every list of ``intervals`` numbers by a CSV reference, collecting the columns."""
    if isinstance(node, dict):
        return {
            k: _move_profiles(x, f"{path}.{k}" if path else k, intervals, columns) for k, x in node.items()
        }
    if isinstance(node, list) and len(node) == intervals and all(isinstance(x, (int, float)) for x in node):
        if path.endswith("window"):
            return node
        columns[path] = node
        return {"csv": PROFILES_CSV, "column": path}
    if isinstance(node, list):
        return [_move_profiles(x, f"{path}.{i}", intervals, columns) for i, x in enumerate(node)]
    return node


def save_scenario(sc: Scenario, path: str | Path, *, folder: bool = False) -> Path:
    """Write a scenario as one JSON file, or (``folder=True``) as ``path/scenario.json`` plus
    ``path/profiles.csv``. Returns the path of the JSON file written."""
    doc = scenario_to_dict(sc)
    out = Path(path)
    if not folder:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1) + "\n")
        return out
    out.mkdir(parents=True, exist_ok=True)
    columns: dict[str, list[float]] = {}
    body = {
        k: _move_profiles(x, k, sc.intervals, columns) if k in ("tariffs", "grid", "peers") else x
        for k, x in doc.items()
    }
    pd.DataFrame({"interval": range(sc.intervals), **columns}).to_csv(out / PROFILES_CSV, index=False)
    (out / "scenario.json").write_text(json.dumps(body, indent=1) + "\n")
    return out / "scenario.json"
