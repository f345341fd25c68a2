"""Dataclasses for one community and one market round, in canonical units (kW, kWh, currency/kWh).

Profiles are float arrays of length ``Scenario.intervals``. The objects are frozen: a scenario is a
value that the optimisation reads, never mutates. ``eq=False`` because numpy arrays have no scalar
equality; compare scenarios through ``flexunity.data.scenario_io.scenario_to_dict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Tariff:
    """A peer's retail contract: time-of-use import and export prices (currency/kWh)."""

    import_price: FloatArray
    export_price: FloatArray
    country: str | None = None
    tso_area: str | None = None


@dataclass(frozen=True, eq=False)
class Grid:
    """The community-level external term G (seed eq. 3a) and the connection limits."""

    connected: bool = True
    import_price: FloatArray | None = None  # community-level price on q_imp, added to retail
    export_price: FloatArray | None = None  # community-level price received on q_exp, added to retail
    capacity_charge_per_kw: float = 0.0
    max_import_kw: float | None = None
    max_export_kw: float | None = None


#: How quadratic cost functions are solved: exactly (a convex QP) or by piecewise-linear chords (an LP).
QUADRATIC_MODES = ("exact", "pwl")


@dataclass(frozen=True)
class CommunitySettings:
    """Community rules: fee φ on traded volume, default pricing rule, how quadratic cost functions are
    solved (``quadratic`` "exact": a convex QP, the default; "pwl": an LP on ``pwl_segments`` chords),
    and whether zero-sum side payments guarantee every peer its standalone cost (``enforce_ir``)."""

    fee_per_kwh: float = 0.0
    pricing: str = "dual"
    pwl_segments: int = 16
    enforce_ir: bool = False
    quadratic: str = "exact"


@dataclass(frozen=True, eq=False)
class Battery:
    """Stationary storage. Cycling cost applies to discharged energy."""

    id: str
    capacity_kwh: float
    charge_kw: float
    discharge_kw: float
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0
    soc_initial_kwh: float = 0.0
    soc_final_kwh: float | None = None  # minimum at the end; None = initial
    soc_min_kwh: float = 0.0
    cycling_cost_per_kwh: float = 0.0

    @property
    def soc_final_min(self) -> float:
        """The state of charge the battery must at least hold at the end of the round."""
        return self.soc_initial_kwh if self.soc_final_kwh is None else self.soc_final_kwh


@dataclass(frozen=True, eq=False)
class ShiftableLoad:
    """Energy to consume within a window ``[first, last]`` (inclusive), at most ``max_kw``."""

    id: str
    energy_kwh: float
    max_kw: float
    window: tuple[int, int]
    discomfort_cost_per_kwh: float = 0.0
    preferred_kw: FloatArray | None = None


@dataclass(frozen=True, eq=False)
class CurtailableLoad:
    """A baseline consumption that may be partly curtailed at a discomfort cost.

    With ``rebound_fraction`` > 0 that share of curtailed energy is consumed later in the round, and
    consumption (baseline − curtailment + rebound) stays at most ``max_kw`` (the rated power; default:
    the baseline's own maximum over the round) in every interval.
    """

    id: str
    profile_kw: FloatArray
    max_curtail_fraction: float
    cost_per_kwh: float
    rebound_fraction: float = 0.0
    max_kw: float | None = None

    @property
    def rated_kw(self) -> float:
        """The power that rebound consumption may not exceed: ``max_kw``, else the baseline maximum."""
        if self.max_kw is not None:
            return float(self.max_kw)
        profile = np.asarray(self.profile_kw, dtype=float)
        return float(profile.max()) if profile.size else 0.0


@dataclass(frozen=True)
class EVCharger:
    """An EV needing ``energy_kwh`` charged in intervals ``arrival .. departure-1``."""

    id: str
    energy_kwh: float
    max_kw: float
    arrival: int
    departure: int


@dataclass(frozen=True, eq=False)
class CostFunction:
    """Generic flexible production (p > 0) or consumption (p < 0) with cost a·p²/2 + b·p, p in kWh."""

    a: FloatArray
    b: FloatArray
    p_min_kw: FloatArray
    p_max_kw: FloatArray


@dataclass(frozen=True, eq=False)
class Peer:
    """A community member: inflexible load, PV, flexible assets and its retail tariff's name."""

    id: str
    tariff: str
    load_kw: FloatArray
    pv_kw: FloatArray | None = None
    kind: str = "home"
    delta_imp: float = 1.0
    delta_exp: float = 1.0
    batteries: tuple[Battery, ...] = ()
    shiftable_loads: tuple[ShiftableLoad, ...] = ()
    curtailable_loads: tuple[CurtailableLoad, ...] = ()
    ev_chargers: tuple[EVCharger, ...] = ()
    cost_function: CostFunction | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Scenario:
    """One community and one market round of ``intervals`` intervals of ``interval_minutes``."""

    name: str
    intervals: int
    interval_minutes: int
    tariffs: dict[str, Tariff]
    peers: tuple[Peer, ...]
    grid: Grid = field(default_factory=Grid)
    community: CommunitySettings = field(default_factory=CommunitySettings)
    start: str = "2026-01-01T00:00:00+00:00"
    timezone: str = "UTC"
    currency: str = "GBP"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def hours_per_interval(self) -> float:
        """Δt in hours: energy (kWh) = power (kW) × this."""
        return self.interval_minutes / 60.0

    @property
    def peer_ids(self) -> list[str]:
        """Peer ids in scenario order (the row order of every per-peer array)."""
        return [p.id for p in self.peers]

    def peer(self, peer_id: str) -> Peer:
        """The peer with this id; KeyError names it if absent."""
        for p in self.peers:
            if p.id == peer_id:
                return p
        raise KeyError(f"no peer {peer_id!r} in scenario {self.name!r}")

    def subset(self, peer_ids: list[str] | tuple[str, ...]) -> Scenario:
        """The same round with only these peers (in the given order)."""
        wanted = set(peer_ids)
        return replace(self, peers=tuple(p for p in self.peers if p.id in wanted))
