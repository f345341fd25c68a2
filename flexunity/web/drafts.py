"""Orders drafted for a peer's wallet: a preset household or business, scaled, as EIP-712 typed data.

The server builds the order payload (``flexunity/record/orders.py``: forecasts in Wh per interval,
assets as in the scenario format) for the round's schedule and tariffs, and the full
``eth_signTypedData_v4`` message; the peer's wallet signs it. The server never sees a key, and the
page shows what is signed (the payload hash binds the forecasts).

Presets are peers of a community generated for the round's day (``flexunity.data.generator``, the
same profiles as ``flexunity demo``), one per kind of household or business, scaled to the peer's
daily consumption and PV size when given.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from flexunity.errors import InputError
from flexunity.record.orders import encode_order

PRESET_PEERS = 8
MAX_CSV_CHARS = 2_000_000  # a year of 15-minute rows


ASSET_NAMES = {"batteries": "battery", "ev_chargers": "EV charger", "shiftable_loads": "shiftable load"}


def _label(peer: dict[str, Any]) -> str:
    assets = [name for key, name in ASSET_NAMES.items() if peer.get(key)]
    if peer.get("pv_kw") is not None:
        assets.insert(0, "PV")
    return str(peer["kind"]) + (" with " + ", ".join(assets) if assets else "")


@lru_cache(maxsize=8)
def _generated(intervals: int, interval_minutes: int, day: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    from flexunity.data.generator import generate_community

    community = generate_community(
        PRESET_PEERS, intervals, interval_minutes=interval_minutes, seed=7, start=day
    )
    seen: dict[str, dict[str, Any]] = {}
    for peer in community["peers"]:
        seen.setdefault(_label(peer), peer)
    return tuple(sorted(seen.items()))


def presets(config: dict[str, Any]) -> list[dict[str, str]]:
    """The presets a round offers: ``[{"id", "label"}]``."""
    return [{"id": str(i), "label": label} for i, (label, _) in enumerate(_presets_of(config))]


def _presets_of(config: dict[str, Any]) -> tuple[tuple[str, dict[str, Any]], ...]:
    day = str(config.get("start", "2026-06-15"))[:10]
    date.fromisoformat(day)
    return _generated(int(config["intervals"]), int(config["interval_minutes"]), day)


def draft_payload(
    config: dict[str, Any],
    preset: str,
    *,
    daily_kwh: float | None = None,
    pv_kwp: float | None = None,
    load_csv: str | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The payload bytes of a preset order for the round of ``config``, and a summary to show.

    ``load_csv``: the peer's own metered load (``flexunity.data.user_profiles``: a timestamp column and
    one value column named with its unit, kW or kWh) replaces the preset's load."""
    choices = _presets_of(config)
    try:
        label, base = choices[int(preset)]
    except (ValueError, IndexError):
        raise InputError(f"no preset {preset!r} (there are {len(choices)})") from None
    peer = dict(base)
    peer["id"] = "web-peer"
    minutes = int(config["interval_minutes"])
    if load_csv is not None:
        peer["load_kw"] = own_load(config, load_csv)
        label = f"{label}, your own load"
    load = [float(v) for v in peer["load_kw"]]
    if daily_kwh is not None:
        if not 0 < daily_kwh <= 10_000:
            raise InputError(f"daily consumption {daily_kwh} kWh is not between 0 and 10,000 kWh")
        energy = sum(load) * minutes / 60
        peer["load_kw"] = [v * daily_kwh / energy for v in load] if energy else load
    if pv_kwp is not None:
        if not 0 <= pv_kwp <= 1_000:
            raise InputError(f"PV size {pv_kwp} kWp is not between 0 and 1,000 kWp")
        shape = peer.get("pv_kw") or _generated_pv(config)
        peak = max(shape) if shape else 0.0
        peer["pv_kw"] = [v * pv_kwp / peak for v in shape] if peak else [0.0] * len(load)
    peer["tariff"] = _tariff(config, peer)
    payload = encode_order(peer, int(config["intervals"]), minutes)
    summary = {
        "preset": label, "tariff": peer["tariff"], "intervals": int(config["intervals"]),
        "intervalMinutes": minutes, "loadKwh": round(sum(peer["load_kw"]) * minutes / 60, 3),
        "pvKwh": round(sum(peer.get("pv_kw") or []) * minutes / 60, 3), "payloadBytes": len(payload),
    }  # fmt: skip
    return payload, summary


def own_load(config: dict[str, Any], text: str) -> list[float]:
    """The round's load profile (kW per interval) from the peer's own CSV text."""
    import tempfile

    import pandas as pd

    from flexunity.data.user_profiles import read_user_profile

    if len(text) > MAX_CSV_CHARS:
        raise InputError(f"the load file is over {MAX_CSV_CHARS:,} characters; send one day or a few")
    index = pd.date_range(
        pd.Timestamp(config["start"]),
        periods=int(config["intervals"]),
        freq=f"{int(config['interval_minutes'])}min",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "your-load.csv"
        path.write_text(text)
        try:
            series = read_user_profile(path, index, timezone=str(config.get("timezone") or "UTC"))
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), "your load file")) from None
    return [float(v) for v in series.to_numpy()]


def _generated_pv(config: dict[str, Any]) -> list[float]:
    for _, peer in _presets_of(config):
        if peer.get("pv_kw"):
            return [float(v) for v in peer["pv_kw"]]
    return []


def _tariff(config: dict[str, Any], peer: dict[str, Any]) -> str:
    """The round's tariff for this kind of peer (its own name if the round has it, else by kind)."""
    tariffs = sorted(config.get("tariffs") or {})
    if not tariffs:
        raise InputError("the round's config has no tariffs")
    if peer["tariff"] in tariffs:
        return str(peer["tariff"])
    kind = str(peer.get("kind", "home"))
    return next((t for t in tariffs if kind in t), tariffs[0])
