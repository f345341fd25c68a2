"""A validated :class:`Scenario` from a ``flexunity-scenario/1`` document (docs/scenario-format.md).

Parsing converts units to kW and currency/kWh and validates as it goes, so errors name the file,
the peer, the field and the interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flexunity.data import validation as v
from flexunity.data.scenario_reader import Reader, need
from flexunity.errors import InputError
from flexunity.model import (
    Battery,
    CommunitySettings,
    CostFunction,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)
from flexunity.model.scenario import QUADRATIC_MODES

FORMAT = "flexunity-scenario/1"


def scenario_from_dict(
    doc: dict[str, Any], *, base_dir: str | Path | None = None, source: str = "scenario"
) -> Scenario:
    """A validated Scenario from the JSON document (CSV references resolved against ``base_dir``)."""
    if not isinstance(doc, dict):
        raise InputError("a scenario must be a JSON object", where=source)
    if doc.get("format") != FORMAT:
        raise InputError(f"format must be {FORMAT!r}, got {doc.get('format')!r}", where=f"{source}: format")
    intervals = int(need(doc, "intervals", source))
    minutes = int(need(doc, "interval_minutes", source))
    if intervals < 1:
        raise InputError(f"must be at least 1, got {intervals}", where=f"{source}: intervals")
    if minutes not in v.INTERVAL_MINUTES:
        raise InputError(f"must be one of 15, 30, 60, got {minutes}", where=f"{source}: interval_minutes")
    currency = str(doc.get("currency", "GBP"))
    units = doc.get("units", {}) or {}
    start = str(doc.get("start", "2026-01-01T00:00:00+00:00"))
    rd = Reader(source, intervals, minutes, start, None if base_dir is None else Path(base_dir))
    rd.power = v.power_factor(units.get("power", "kW"), rd.where("units.power"))
    rd.price = v.price_factor(units.get("price", f"{currency}/kWh"), currency, rd.where("units.price"))
    tariffs = {name: _tariff(rd, t, f"tariffs.{name}") for name, t in need(doc, "tariffs", source).items()}
    if not tariffs:
        raise InputError("at least one tariff is needed", where=f"{source}: tariffs")
    peers = tuple(_peer(rd, p, i, tariffs) for i, p in enumerate(need(doc, "peers", source)))
    v.check_unique([p.id for p in peers], rd.where("peers"))
    return Scenario(
        name=str(doc.get("name", Path(source).stem)),
        intervals=intervals,
        interval_minutes=minutes,
        tariffs=tariffs,
        peers=peers,
        grid=_grid(rd, doc.get("grid", {}) or {}),
        community=_community(rd, doc.get("community", {}) or {}),
        start=start,
        timezone=str(doc.get("timezone", "UTC")),
        currency=currency,
        metadata=dict(doc.get("metadata", {}) or {}),
    )


def _tariff(rd: Reader, doc: dict[str, Any], where: str) -> Tariff:
    return Tariff(
        import_price=rd.profile(
            need(doc, "import_price", rd.where(where)), f"{where}.import_price", rd.price
        ),
        export_price=rd.profile(
            need(doc, "export_price", rd.where(where)), f"{where}.export_price", rd.price
        ),
        country=doc.get("country"),
        tso_area=doc.get("tso_area"),
    )


def _opt_number(doc: dict[str, Any], key: str, where: str, factor: float = 1.0) -> float | None:
    if doc.get(key) is None:
        return None
    value = float(doc[key]) * factor
    v.check_nonnegative(value, where)
    return value


def _grid(rd: Reader, doc: dict[str, Any]) -> Grid:
    price = lambda key: None if doc.get(key) is None else rd.profile(doc[key], f"grid.{key}", rd.price)  # noqa: E731
    charge = float(doc.get("capacity_charge_per_kw", 0.0)) * rd.price / rd.power
    v.check_nonnegative(charge, rd.where("grid.capacity_charge_per_kw"))
    return Grid(
        connected=bool(doc.get("connected", True)),
        import_price=price("import_price"),
        export_price=price("export_price"),
        capacity_charge_per_kw=charge,
        max_import_kw=_opt_number(doc, "max_import_kw", rd.where("grid.max_import_kw"), rd.power),
        max_export_kw=_opt_number(doc, "max_export_kw", rd.where("grid.max_export_kw"), rd.power),
    )


def _community(rd: Reader, doc: dict[str, Any]) -> CommunitySettings:
    fee = float(doc.get("fee_per_kwh", 0.0)) * rd.price
    v.check_nonnegative(fee, rd.where("community.fee_per_kwh"))
    segments = int(doc.get("pwl_segments", 16))
    if segments < 1:
        raise InputError(f"must be at least 1, got {segments}", where=rd.where("community.pwl_segments"))
    enforce_ir = doc.get("enforce_ir", False)
    if not isinstance(enforce_ir, bool):
        raise InputError(f"must be true or false, got {enforce_ir!r}", where=rd.where("community.enforce_ir"))
    quadratic = doc.get("quadratic", "exact")
    if quadratic not in QUADRATIC_MODES:
        raise InputError(
            f"must be one of {', '.join(QUADRATIC_MODES)}, got {quadratic!r}",
            where=rd.where("community.quadratic"),
        )
    return CommunitySettings(fee, str(doc.get("pricing", "dual")), segments, enforce_ir, quadratic)


def _peer(rd: Reader, doc: dict[str, Any], index: int, tariffs: dict[str, Tariff]) -> Peer:
    pid = v.check_id(need(doc, "id", rd.where(f"peers[{index}]")), rd.where(f"peers[{index}].id"))
    at = f"peer {pid}"
    tariff = str(need(doc, "tariff", rd.where(at)))
    if tariff not in tariffs:
        raise InputError(
            f"unknown tariff {tariff!r} (known: {', '.join(tariffs)})", where=rd.where(f"{at}.tariff")
        )
    load = rd.profile(need(doc, "load_kw", rd.where(at)), f"{at}.load_kw", rd.power)
    v.check_nonnegative(load, rd.where(f"{at}.load_kw"))
    pv = None if doc.get("pv_kw") is None else rd.profile(doc["pv_kw"], f"{at}.pv_kw", rd.power)
    if pv is not None:
        v.check_nonnegative(pv, rd.where(f"{at}.pv_kw"))
    assets: dict[str, Any] = {
        key: tuple(parse(rd, a, f"{at}.{key}[{i}]") for i, a in enumerate(doc.get(key, []) or []))
        for key, parse in ASSET_PARSERS.items()
    }
    for key, items in assets.items():
        v.check_unique([a.id for a in items], rd.where(f"{at}.{key}"))
    delta = {k: float(doc.get(k, 1.0)) for k in ("delta_imp", "delta_exp")}
    for k, val in delta.items():
        v.check_nonnegative(val, rd.where(f"{at}.{k}"))
    cf = doc.get("cost_function")
    return Peer(
        id=pid,
        tariff=tariff,
        load_kw=load,
        pv_kw=pv,
        kind=str(doc.get("kind", "home")),
        delta_imp=delta["delta_imp"],
        delta_exp=delta["delta_exp"],
        cost_function=None if cf is None else _cost_function(rd, cf, f"{at}.cost_function"),
        metadata=dict(doc.get("metadata", {}) or {}),
        **assets,
    )


def _num(
    rd: Reader, doc: dict[str, Any], key: str, where: str, default: float | None = None, factor: float = 1.0
) -> float:
    value = doc.get(key, default)
    if value is None:
        raise InputError(f"missing required key {key!r}", where=rd.where(where))
    try:
        return float(value) * factor
    except (TypeError, ValueError):
        raise InputError(f"not a number: {value!r}", where=rd.where(f"{where}.{key}")) from None


def _asset_id(rd: Reader, doc: dict[str, Any], where: str) -> str:
    return v.check_id(
        doc.get("id", where.rsplit(".", 1)[-1].replace("[", "-").rstrip("]")), rd.where(f"{where}.id")
    )


def _battery(rd: Reader, doc: dict[str, Any], where: str) -> Battery:
    n = lambda key, default=None, f=1.0: _num(rd, doc, key, where, default, f)  # noqa: E731
    final = doc.get("soc_final_kwh")
    b = Battery(
        id=_asset_id(rd, doc, where),
        capacity_kwh=n("capacity_kwh"),
        charge_kw=n("charge_kw", None, rd.power),
        discharge_kw=n("discharge_kw", None, rd.power),
        charge_efficiency=n("charge_efficiency", 1.0),
        discharge_efficiency=n("discharge_efficiency", 1.0),
        soc_initial_kwh=n("soc_initial_kwh", 0.0),
        soc_final_kwh=None if final is None else float(final),
        soc_min_kwh=n("soc_min_kwh", 0.0),
        cycling_cost_per_kwh=n("cycling_cost_per_kwh", 0.0, rd.price),
    )
    v.check_battery(b, rd.where(where))
    return b


def _shiftable(rd: Reader, doc: dict[str, Any], where: str) -> ShiftableLoad:
    window = need(doc, "window", rd.where(where))
    first, last = int(window[0]), int(window[1])
    v.check_window(first, last, rd.intervals, rd.where(f"{where}.window"))
    pref = doc.get("preferred_kw")
    s = ShiftableLoad(
        id=_asset_id(rd, doc, where),
        energy_kwh=_num(rd, doc, "energy_kwh", where),
        max_kw=_num(rd, doc, "max_kw", where, None, rd.power),
        window=(first, last),
        discomfort_cost_per_kwh=_num(rd, doc, "discomfort_cost_per_kwh", where, 0.0, rd.price),
        preferred_kw=None if pref is None else rd.profile(pref, f"{where}.preferred_kw", rd.power),
    )
    for key in ("energy_kwh", "max_kw", "discomfort_cost_per_kwh"):
        v.check_nonnegative(getattr(s, key), rd.where(f"{where}.{key}"))
    return s


def _curtailable(rd: Reader, doc: dict[str, Any], where: str) -> CurtailableLoad:
    c = CurtailableLoad(
        id=_asset_id(rd, doc, where),
        profile_kw=rd.profile(need(doc, "profile_kw", rd.where(where)), f"{where}.profile_kw", rd.power),
        max_curtail_fraction=_num(rd, doc, "max_curtail_fraction", where),
        cost_per_kwh=_num(rd, doc, "cost_per_kwh", where, 0.0, rd.price),
        rebound_fraction=_num(rd, doc, "rebound_fraction", where, 0.0),
        max_kw=None if doc.get("max_kw") is None else _num(rd, doc, "max_kw", where, None, rd.power),
    )
    v.check_nonnegative(c.profile_kw, rd.where(f"{where}.profile_kw"))
    if c.max_kw is not None:
        v.check_nonnegative(c.max_kw, rd.where(f"{where}.max_kw"))
    v.check_range(c.max_curtail_fraction, 0.0, 1.0, rd.where(f"{where}.max_curtail_fraction"))
    v.check_range(c.rebound_fraction, 0.0, 1.0, rd.where(f"{where}.rebound_fraction"))
    v.check_nonnegative(c.cost_per_kwh, rd.where(f"{where}.cost_per_kwh"))
    return c


def _ev(rd: Reader, doc: dict[str, Any], where: str) -> EVCharger:
    ev = EVCharger(
        id=_asset_id(rd, doc, where),
        energy_kwh=_num(rd, doc, "energy_kwh", where),
        max_kw=_num(rd, doc, "max_kw", where, None, rd.power),
        arrival=int(_num(rd, doc, "arrival", where)),
        departure=int(_num(rd, doc, "departure", where)),
    )
    for key in ("energy_kwh", "max_kw"):
        v.check_nonnegative(getattr(ev, key), rd.where(f"{where}.{key}"))
    if not 0 <= ev.arrival < ev.departure <= rd.intervals:
        raise InputError(
            f"need 0 <= arrival < departure <= {rd.intervals}, got {ev.arrival}, {ev.departure}",
            where=rd.where(where),
        )
    return ev


def _cost_function(rd: Reader, doc: dict[str, Any], where: str) -> CostFunction:
    prof = lambda key, f: rd.profile(need(doc, key, rd.where(where)), f"{where}.{key}", f)  # noqa: E731
    cf = CostFunction(
        a=prof("a", rd.price),
        b=prof("b", rd.price),
        p_min_kw=prof("p_min_kw", rd.power),
        p_max_kw=prof("p_max_kw", rd.power),
    )
    v.check_nonnegative(cf.a, rd.where(f"{where}.a"))
    bad = np.nonzero(cf.p_min_kw > cf.p_max_kw)[0]
    if bad.size:
        raise InputError(f"p_min_kw exceeds p_max_kw at interval {bad[0]}", where=rd.where(where))
    return cf


ASSET_PARSERS: dict[str, Any] = {
    "batteries": _battery,
    "shiftable_loads": _shiftable,
    "curtailable_loads": _curtailable,
    "ev_chargers": _ev,
}
