"""Generated communities of any size for benchmarks and studies (vectorised: 10,000 peers in seconds).

``generate_community(n_peers, intervals, mix=..., seed=...)`` draws each peer's kind and assets
from ``mix`` (shares of peers in [0, 1], drawn independently), scales shared base shapes (BDEW H0
or G1 loads, one clear-sky PV shape of the site) per peer and multiplies seeded log-normal noise,
all as ``numpy`` arrays of shape (peers, intervals). The result is an inline scenario dict in the
``flexunity-scenario/1`` format.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from flexunity.data.pilots.tariffs import GB_BUSINESS_TOU, GB_HOME_TOU, Tariff
from flexunity.data.profiles import LoadSpec, PVSite, load_kw, pv_kw, round_index

DEFAULT_MIX: dict[str, float] = {
    "business": 0.1,  # share of peers that are businesses (G1 profile) instead of homes (H0)
    "pv": 0.5,
    "battery": 0.25,
    "ev": 0.2,
    "curtailable": 0.3,
    "shiftable": 0.2,
}
DEFAULT_SITE = PVSite(52.49, -0.69, "Europe/London", 80.0, 35.0, 180.0)
DEFAULT_YIELD = 850.0  # kWh/kWp/year


def parse_mix(text: str) -> dict[str, float]:
    """``"pv=0.5,battery=0.3"`` → mix dict (keys not given keep their defaults)."""
    mix = dict(DEFAULT_MIX)
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in DEFAULT_MIX:
            raise ValueError(f"bad mix item {item!r}; use KEY=SHARE with KEY in {', '.join(DEFAULT_MIX)}")
        mix[key.strip()] = float(value)
    return mix


def _check_mix(mix: Mapping[str, float]) -> dict[str, float]:
    full = dict(DEFAULT_MIX) | dict(mix)
    for key, share in full.items():
        if key not in DEFAULT_MIX or not 0.0 <= share <= 1.0:
            raise ValueError(f"mix {key}={share}: keys are {', '.join(DEFAULT_MIX)}, shares in [0, 1]")
    return full


def _shapes(index: pd.DatetimeIndex, site: PVSite) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """kW per annual kWh for homes and businesses, and kW per kWp of PV, over ``index``."""
    home = load_kw(index, LoadSpec("h0", 1.0, site.timezone)).to_numpy()
    business = load_kw(index, LoadSpec("g1", 1.0, site.timezone)).to_numpy()
    pv = pv_kw(index, site, 1.0, DEFAULT_YIELD).to_numpy()
    return home, business, pv


def _rows(matrix: np.ndarray) -> list[list[float]]:
    return np.round(matrix, 4).tolist()  # type: ignore[no-any-return]


def _loads(
    rng: np.random.Generator,
    is_business: np.ndarray,
    home: np.ndarray,
    business: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(annual kWh per peer, load kW matrix) with per-interval log-normal noise σ = 0.25."""
    n = len(is_business)
    annual = np.where(
        is_business, rng.lognormal(np.log(50_000), 0.8, n), rng.lognormal(np.log(3_000), 0.4, n)
    )
    noise = rng.lognormal(-(0.25**2) / 2, 0.25, (n, len(home)))
    shape = np.where(is_business[:, None], business[None, :], home[None, :])
    return annual, annual[:, None] * shape * noise


def _ev(rng: np.random.Generator, n: int, intervals: int, minutes: int) -> list[dict[str, Any]]:
    """One session per EV peer: 7 kW, a dwell of 2-12 h inside the round, 40-80 % of what fits."""
    max_kw = 7.0
    dwell = np.minimum(rng.integers(max(2, 120 // minutes), max(3, 720 // minutes) + 1, n), intervals)
    arrival = (rng.random(n) * (intervals - dwell + 1)).astype(int)
    energy = max_kw * dwell * minutes / 60 * rng.uniform(0.4, 0.8, n)
    return [
        {"energy_kwh": round(float(e), 2), "max_kw": max_kw, "arrival": int(a), "departure": int(a + d)}
        for e, a, d in zip(energy, arrival, dwell, strict=True)
    ]


def generate_community(
    n_peers: int,
    intervals: int,
    *,
    mix: Mapping[str, float] | None = None,
    seed: int = 0,
    interval_minutes: int = 30,
    start: date | str = "2025-06-18",
    site: PVSite = DEFAULT_SITE,
) -> dict[str, Any]:
    """An inline scenario: ``n_peers`` peers, ``intervals`` intervals from local midnight of ``start``."""
    if n_peers < 1 or intervals < 2:
        raise ValueError("need at least one peer and two intervals")
    shares = _check_mix(mix or {})
    rng = np.random.default_rng(seed)
    days = -(-intervals * interval_minutes // 1440)
    index = round_index(start, site.timezone, interval_minutes, days + 1)[:intervals]
    home, business, pv_shape = _shapes(index, site)
    has = {key: rng.random(n_peers) < share for key, share in shares.items()}
    annual, load = _loads(rng, has["business"], home, business)
    kwp = np.where(has["business"], rng.uniform(10, 100, n_peers), rng.uniform(2, 6, n_peers)).round(1)
    pv = kwp[:, None] * pv_shape[None, :] * rng.uniform(0.85, 1.05, n_peers)[:, None]
    flex_share = rng.uniform(0.1, 0.3, n_peers)
    battery_kwh = np.where(has["business"], rng.uniform(20, 200, n_peers), rng.uniform(4, 14, n_peers)).round(
        1
    )
    ev = iter(_ev(rng, n_peers, intervals, interval_minutes))
    shift_energy = rng.uniform(0.5, 3.0, n_peers).round(2)
    shift_first = rng.integers(0, max(1, intervals // 2), n_peers)
    load_rows = _rows(load * np.where(has["curtailable"], 1 - flex_share, 1.0)[:, None])
    flex_rows = _rows(load * flex_share[:, None])
    pv_rows = _rows(pv)
    peers = []
    for i in range(n_peers):
        ev_session = next(ev)
        peer: dict[str, Any] = {
            "id": f"peer-{i:05d}",
            "kind": "business" if has["business"][i] else "home",
            "tariff": (GB_BUSINESS_TOU if has["business"][i] else GB_HOME_TOU).name,
            "load_kw": load_rows[i],
            "metadata": {"annual_kwh": round(float(annual[i]), 1)},
        }
        if has["pv"][i]:
            peer["pv_kw"] = pv_rows[i]
            peer["metadata"]["kwp"] = float(kwp[i])
        if has["battery"][i]:
            cap = float(battery_kwh[i])
            peer["batteries"] = [
                {
                    "capacity_kwh": cap,
                    "charge_kw": round(cap / 2, 2),
                    "discharge_kw": round(cap / 2, 2),
                    "charge_efficiency": 0.95,
                    "discharge_efficiency": 0.95,
                    "soc_initial_kwh": round(cap / 2, 2),
                }
            ]
        if has["curtailable"][i]:
            peer["curtailable_loads"] = [
                {
                    "profile_kw": flex_rows[i],
                    "max_curtail_fraction": 0.5,
                    "cost_per_kwh": 0.05,
                    "rebound_fraction": 0.5,
                }
            ]
        if has["shiftable"][i]:
            first = int(shift_first[i])
            last = min(intervals - 1, first + intervals // 2)
            fits = 0.8 * 2.0 * (last - first + 1) * interval_minutes / 60  # 80 % of 2 kW over the window
            peer["shiftable_loads"] = [
                {
                    "energy_kwh": round(min(float(shift_energy[i]), fits), 2),
                    "max_kw": 2.0,
                    "window": [first, last],
                }
            ]
        if has["ev"][i]:
            peer["ev_chargers"] = [ev_session]
        peers.append(peer)
    return _scenario(index, interval_minutes, site, peers, shares, seed, (GB_HOME_TOU, GB_BUSINESS_TOU))


def _scenario(
    index: pd.DatetimeIndex,
    minutes: int,
    site: PVSite,
    peers: list[dict[str, Any]],
    mix: dict[str, float],
    seed: int,
    tariffs: tuple[Tariff, ...],
) -> dict[str, Any]:
    return {
        "format": "flexunity-scenario/1",
        "name": f"generated-{len(peers)}x{len(index)}-seed{seed}",
        "start": index[0].isoformat(),
        "timezone": site.timezone,
        "interval_minutes": minutes,
        "intervals": len(index),
        "currency": "GBP",
        "units": {"power": "kW", "price": "GBP/kWh"},
        "tariffs": {t.name: t.to_dict(index) for t in tariffs},
        "grid": {"connected": True, "capacity_charge_per_kw": 0.0},
        "community": {"fee_per_kwh": 0.005, "pricing": "dual"},
        "peers": peers,
        "metadata": {
            "generator": "flexunity.data.generator.generate_community",
            "seed": seed,
            "mix": mix,
            "site": {"latitude": site.latitude, "longitude": site.longitude},
            "assumptions": [
                "homes BDEW H0 (annual log-normal, median 3,000 kWh), businesses G1 "
                "(median 50,000 kWh), interval noise log-normal sigma 0.25",
                f"PV clear-sky scaled to {DEFAULT_YIELD:.0f} kWh/kWp/year, 2-6 kWp homes, "
                "10-100 kWp businesses",
            ],
        },
    }
