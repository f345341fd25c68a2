"""The savings game of a scenario: closed form when every peer is inflexible, LP solves otherwise.

v(S) = Σ_{i∈S} standalone cost_i − optimal cost of S as one community, both the optimisation
engine's objective (3a): a standalone peer faces its retail tariff alone (no fee, no community-level
grid term G), a coalition pays the fee φ on |q| and G.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from flexunity.allocation.game import Game
from flexunity.allocation.rules import SharingInputs
from flexunity.allocation.savings import InflexibleSavingsGame
from flexunity.errors import InputError
from flexunity.model import Peer, Scenario
from flexunity.units import money_to_base_units


def closed_form_reason(scenario: Scenario) -> str | None:
    """Why the closed form does not apply to ``scenario`` (None: it applies)."""
    for peer in scenario.peers:
        if peer.batteries or peer.shiftable_loads or peer.curtailable_loads or peer.ev_chargers:
            return f"peer {peer.id} has flexible assets"
        if peer.cost_function is not None:
            return f"peer {peer.id} has a flexible cost function"
        if peer.delta_imp != 1.0 or peer.delta_exp != 1.0:
            return f"peer {peer.id} has preference weights δ ≠ 1"
    grid = scenario.grid
    if not grid.connected:
        return "the community is islanded"
    if grid.capacity_charge_per_kw > 0 or grid.max_import_kw is not None or grid.max_export_kw is not None:
        return "the grid has a capacity charge or connection limits"
    imp, exp = _prices(scenario)
    g_imp, g_exp = _community_prices(scenario)
    if np.any(exp < 0) or np.any(exp + g_exp < 0):
        return "negative export prices (PV would be spilled)"
    if np.any(exp.max(axis=0) > imp.min(axis=0)) or np.any(
        (exp + g_exp).max(axis=0) > (imp + g_imp).min(axis=0) + 2 * scenario.community.fee_per_kwh
    ):
        return "an export price exceeds an import price"
    return None


def inflexible_game(scenario: Scenario) -> InflexibleSavingsGame:
    """The closed-form savings game (raises InputError naming the reason if it does not apply)."""
    reason = closed_form_reason(scenario)
    if reason:
        raise InputError(f"closed-form coalition values do not apply: {reason}")
    dh = scenario.hours_per_interval
    p = np.array([_net_kw(peer, scenario.intervals) for peer in scenario.peers]) * dh
    imp, exp = _prices(scenario)
    g_imp, g_exp = _community_prices(scenario)
    # a coalition pays G on its members' grid exchange; standalone peers do not
    additive = (-(g_imp * np.maximum(-p, 0)) + g_exp * np.maximum(p, 0)).sum(axis=1)
    return InflexibleSavingsGame(
        scenario.peer_ids, p, imp + g_imp, exp + g_exp, scenario.community.fee_per_kwh, additive
    )


class LPSavingsGame(Game):
    """v(S) from the optimisation engine: one LP per coalition (cached), standalone costs once."""

    def __init__(self, scenario: Scenario, on_solve: Callable[[int], None] | None = None) -> None:
        super().__init__(scenario.peer_ids)
        self.scenario = scenario
        self.solves = 0
        self.on_solve = on_solve  # told the number of LPs solved so far (progress display)
        self._standalone: dict[str, float] = {}
        grid = scenario.grid
        self._singletons_free = (
            grid.import_price is None
            and grid.export_price is None
            and grid.capacity_charge_per_kw == 0
            and grid.max_import_kw is None
            and grid.max_export_kw is None
        )

    def standalone(self, peer_id: str) -> float:
        """The peer's optimal cost alone (retail tariff only)."""
        from flexunity.optimize.solve import solve_dispatch

        if peer_id not in self._standalone:
            self._standalone[peer_id] = solve_dispatch(
                self.scenario, [peer_id], community_terms=False
            ).objective
            self._solved()
        return self._standalone[peer_id]

    def _solved(self) -> None:
        self.solves += 1
        if self.on_solve is not None:
            self.on_solve(self.solves)

    def _compute(self, mask: int) -> float:
        from flexunity.optimize.solve import solve_dispatch

        members = [p for i, p in enumerate(self.players) if mask >> i & 1]
        alone = sum(self.standalone(p) for p in members)
        if len(members) == 1 and self._singletons_free:
            return 0.0  # a coalition of one without community terms is the peer alone
        value = alone - solve_dispatch(self.scenario, members).objective
        self._solved()
        return value


def savings_game(
    scenario: Scenario, method: str = "auto", on_solve: Callable[[int], None] | None = None
) -> tuple[Game, str]:
    """The scenario's savings game and the method used ("closed-form" or "lp")."""
    if method not in ("auto", "closed-form", "lp"):
        raise InputError(f"method must be auto, closed-form or lp, got {method!r}")
    if method == "closed-form" or (method == "auto" and closed_form_reason(scenario) is None):
        return inflexible_game(scenario), "closed-form"
    return LPSavingsGame(scenario, on_solve), "lp"


def savings_inputs(
    path: str | Path,
    *,
    decimals: int = 2,
    method: str = "auto",
    on_solve: Callable[[int], None] | None = None,
) -> tuple[SharingInputs, int, dict[str, Any]]:
    """Sharing inputs for a scenario file: game, contributions (energy traded in the pool, kWh),
    renewable energy (PV kWh), metadata; the total is v(N) in base units (10^decimals per unit)."""
    from flexunity.data.scenario_io import load_scenario

    scenario = load_scenario(path)
    game, used = savings_game(scenario, method, on_solve)
    grand = game.value(game.grand)
    total = money_to_base_units(grand, decimals)
    dh = scenario.hours_per_interval
    renewable = {p.id: float(np.sum(p.pv_kw) * dh) if p.pv_kw is not None else 0.0 for p in scenario.peers}
    contributions = _traded_kwh(scenario, game)
    inputs = SharingInputs(
        peers=tuple(scenario.peer_ids),
        contributions=contributions,
        renewable_kwh=renewable,
        metadata={p.id: dict(p.metadata) for p in scenario.peers},
        game=game,
    )
    context = {
        "scenario": scenario.name,
        "method": used,
        "currency": scenario.currency,
        "grand_coalition_value": grand,
        "decimals": decimals,
        "contribution": "energy traded in the pool (kWh)",
    }
    return inputs, total, context


def _traded_kwh(scenario: Scenario, game: Game) -> dict[str, float]:
    if isinstance(game, InflexibleSavingsGame):
        return dict(zip(scenario.peer_ids, game.matched_kwh().tolist(), strict=True))
    from flexunity.optimize.solve import solve_dispatch

    dispatch = solve_dispatch(scenario)
    traded = np.abs(dispatch.q).sum(axis=1)
    return dict(zip(scenario.peer_ids, traded.tolist(), strict=True))


def _net_kw(peer: Peer, intervals: int) -> np.ndarray:
    pv = np.zeros(intervals) if peer.pv_kw is None else np.broadcast_to(peer.pv_kw, (intervals,))
    return pv - np.broadcast_to(peer.load_kw, (intervals,))


def _prices(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    t = scenario.intervals
    imp = np.array(
        [np.broadcast_to(scenario.tariffs[p.tariff].import_price, (t,)) for p in scenario.peers], float
    )
    exp = np.array(
        [np.broadcast_to(scenario.tariffs[p.tariff].export_price, (t,)) for p in scenario.peers], float
    )
    return imp, exp


def _community_prices(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    zero = np.zeros(scenario.intervals)
    g = scenario.grid
    g_imp = (
        zero
        if g.import_price is None
        else np.broadcast_to(g.import_price, (scenario.intervals,)).astype(float)
    )
    g_exp = (
        zero
        if g.export_price is None
        else np.broadcast_to(g.export_price, (scenario.intervals,)).astype(float)
    )
    return g_imp, g_exp
