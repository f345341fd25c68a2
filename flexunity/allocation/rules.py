"""Sharing rules (seed report, section 2.2.1.2): every rule turns a value into exact real shares
that sum to it; :func:`allocate` then rounds once by largest remainder.

Rules (formulas in docs/allocation.md):
- ``equal``: x_i = V / n.
- ``pro-rata``: x_i = V · c_i / Σ c (c: contribution, e.g. delivered flexibility in kWh).
- ``marginal``: x_i = V · m_i / Σ m with m_i = max(0, v(N) − v(N∖{i})).
- ``shapley``: x_i = V · φ_i / v(N) (exact, or sampled with a stated confidence interval).
- ``least-core``: x_i = V · y_i / v(N), y the least-core allocation closest (L1) to the Shapley value
  (a core allocation whenever the core is non-empty; up to 16 peers).
- ``stakeholder``: x_i = V · w_i / Σ w, w_i = factor if peer metadata[flag] is true, else 1.
- ``renewable``: x_i = (1 − b) · V / n + b · V · g_i / Σ g (g: renewable energy, b: bonus fraction).
- ``mix:R1=w1,R2=w2,...``: x = Σ_k w_k x^(R_k) / Σ_k w_k.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flexunity.allocation.core import MAX_LP_PLAYERS, CoreReport, check_core, least_core_allocation
from flexunity.allocation.game import MAX_EXACT_PLAYERS, Game
from flexunity.allocation.rounding import scale_to_total
from flexunity.allocation.shapley import exact_shapley, sampled_shapley
from flexunity.errors import InputError
from flexunity.units import largest_remainder

RULES = ("equal", "pro-rata", "marginal", "shapley", "least-core", "stakeholder", "renewable", "mix")

#: Largest community for which the core is checked by enumeration after an allocation: games with a
#: vectorised table up to the exact-Shapley limit; games needing one optimisation per coalition
#: only up to MAX_CORE_SOLVED_PLAYERS (2^10 solves).
MAX_CORE_PLAYERS = MAX_EXACT_PLAYERS
MAX_CORE_SOLVED_PLAYERS = 10

#: Largest community for exact Shapley when every coalition value is an optimisation (2^12 solves).
MAX_EXACT_SOLVED_PLAYERS = 12


@dataclass(frozen=True)
class SharingInputs:
    """What the rules may need about the peers; each rule reads only its part.

    ``game`` values and ``total`` may be in different units (currency vs base units): rules that
    use the game scale by ``total / v(N)``.
    """

    peers: tuple[str, ...]
    contributions: Mapping[str, float] = field(default_factory=dict)
    renewable_kwh: Mapping[str, float] = field(default_factory=dict)
    metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    game: Game | None = None


@dataclass(frozen=True)
class RuleOptions:
    """Parameters of the rules; defaults are documented in docs/allocation.md."""

    samples: int | None = None
    seed: int = 0
    stakeholder_flag: str = "low_income"
    stakeholder_factor: float = 2.0
    renewable_bonus: float = 0.5
    check_core: bool = True


@dataclass(frozen=True)
class Allocation:
    """Integer shares that sum to ``total`` exactly, with the exact shares and a report."""

    rule: str
    total: int
    shares: dict[str, int]
    exact: dict[str, float]
    report: dict[str, Any]
    core: CoreReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able document: rule, total, per-peer integer and exact shares, report, core check."""
        return {
            "rule": self.rule,
            "total": self.total,
            "shares": self.shares,
            "exact": self.exact,
            "report": self.report,
            "core": self.core.to_dict() if self.core else None,
        }


def allocate(rule: str, total: int, inputs: SharingInputs, options: RuleOptions | None = None) -> Allocation:
    """Share the integer ``total`` (base units) among ``inputs.peers`` by ``rule``."""
    options = options or RuleOptions()
    report: dict[str, Any] = {}
    exact = exact_shares(rule, float(total), inputs, options, report)
    shares = largest_remainder(exact, int(total))
    core = _core_check(shares, total, inputs, options, report)
    return Allocation(rule=rule, total=int(total), shares=shares, exact=exact, report=report, core=core)


def exact_shares(
    rule: str, total: float, inputs: SharingInputs, options: RuleOptions, report: dict[str, Any]
) -> dict[str, float]:
    """Real-valued shares of ``total`` by ``rule`` (they sum to ``total`` up to float error)."""
    if not inputs.peers:
        raise InputError("no peers to share among")
    name, _, argument = rule.partition(":")
    if name == "mix":
        return _mix(argument, total, inputs, options, report)
    if argument:
        raise InputError(f"rule {name!r} takes no argument (got {rule!r})")
    if name == "equal":
        return {p: total / len(inputs.peers) for p in inputs.peers}
    if name == "pro-rata":
        return scale_to_total(_per_peer(inputs.contributions, inputs.peers, "contribution"), total)
    if name == "stakeholder":
        return scale_to_total(stakeholder_weights(inputs, options), total)
    if name == "renewable":
        return renewable_bonus(inputs, total, options.renewable_bonus)
    if name == "marginal":
        return scale_to_total(marginal_contributions(_game(inputs)), total)
    if name == "shapley":
        return _shapley(total, inputs, options, report)
    if name == "least-core":
        return _least_core(total, inputs, options, report)
    raise InputError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")


def stakeholder_weights(inputs: SharingInputs, options: RuleOptions) -> dict[str, float]:
    """w_i = factor for peers whose metadata flag is true (e.g. low_income), 1 otherwise."""
    if options.stakeholder_factor <= 0:
        raise InputError(f"stakeholder factor must be positive, got {options.stakeholder_factor}")
    flag = options.stakeholder_flag
    return {
        p: options.stakeholder_factor if bool(inputs.metadata.get(p, {}).get(flag)) else 1.0
        for p in inputs.peers
    }


def renewable_bonus(inputs: SharingInputs, total: float, bonus: float) -> dict[str, float]:
    """(1 − b) of the value shared equally, b pro rata to renewable energy (b = bonus fraction)."""
    if not 0.0 <= bonus <= 1.0:
        raise InputError(f"renewable bonus fraction must be in [0, 1], got {bonus}")
    n = len(inputs.peers)
    generation = _per_peer(inputs.renewable_kwh, inputs.peers, "renewable energy")
    if math.fsum(generation.values()) <= 0:
        bonus_part = {p: 0.0 for p in inputs.peers}
        bonus = 0.0
    else:
        bonus_part = scale_to_total(generation, bonus * total)
    return {p: (1.0 - bonus) * total / n + bonus_part[p] for p in inputs.peers}


def marginal_contributions(game: Game) -> dict[str, float]:
    """m_i = max(0, v(N) − v(N∖{i})): n + 1 coalition values."""
    grand = game.value(game.grand)
    return {p: max(0.0, grand - game.value(game.grand & ~(1 << i))) for i, p in enumerate(game.players)}


def _shapley(
    total: float, inputs: SharingInputs, options: RuleOptions, report: dict[str, Any]
) -> dict[str, float]:
    game = _game(inputs)
    exact_limit = MAX_EXACT_PLAYERS if game.cheap_table else MAX_EXACT_SOLVED_PLAYERS
    if options.samples is None and game.n > exact_limit:
        raise InputError(
            f"exact Shapley of {game.n} peers needs 2^{game.n} coalition values"
            + ("" if game.cheap_table else " (one optimisation each)")
            + f"; the limit is {exact_limit} peers: use sampling"
            + f" (--samples N, about {2 * game.n} values per sample)"
        )
    grand = game.value(game.grand)
    if options.samples is None:
        phi = exact_shapley(game)
        report["shapley"] = {"method": "exact", "coalitions": 1 << game.n, "evaluations": game.evaluations}
    else:
        estimate = sampled_shapley(game, options.samples or 1000, options.seed)
        phi = estimate.values
        report["shapley"] = estimate.to_dict()
    report["grand_coalition_value"] = grand
    report["shapley_values"] = phi
    if abs(grand) <= 1e-12:
        raise InputError("the grand coalition is worth 0: Shapley shares of a value are undefined")
    return {p: total * phi[p] / grand for p in game.players}


def _least_core(
    total: float, inputs: SharingInputs, options: RuleOptions, report: dict[str, Any]
) -> dict[str, float]:
    game = _game(inputs)
    if game.n > MAX_LP_PLAYERS or (not game.cheap_table and game.n > MAX_CORE_SOLVED_PLAYERS):
        raise InputError(f"least-core needs every coalition value: {game.n} peers is too many for this game")
    phi = exact_shapley(game)
    allocation, epsilon = least_core_allocation(game, phi)
    grand = game.value(game.grand)
    report["least_core"] = {"epsilon": epsilon, "core_empty": epsilon > 1e-9, "target": "shapley"}
    report["shapley_values"] = phi
    if abs(grand) <= 1e-12:
        raise InputError("the grand coalition is worth 0: least-core shares of a value are undefined")
    return {p: total * allocation[p] / grand for p in game.players}


def _mix(argument: str, total: float, inputs: SharingInputs, options: RuleOptions, report: dict[str, Any]):
    parts = _parse_mix(argument)
    mass = math.fsum(parts.values())
    out = {p: 0.0 for p in inputs.peers}
    for sub_rule, weight in parts.items():
        sub = exact_shares(sub_rule, total * weight / mass, inputs, options, report)
        for p in out:
            out[p] += sub[p]
    report["mix"] = {rule: weight / mass for rule, weight in parts.items()}
    return out


def _parse_mix(argument: str) -> dict[str, float]:
    parts: dict[str, float] = {}
    for item in filter(None, argument.split(",")):
        name, eq, weight = item.partition("=")
        try:
            parts[name.strip()] = float(weight) if eq else 1.0
        except ValueError:
            raise InputError(f"mix weight of {name!r} is not a number: {weight!r}") from None
    if not parts or any(w < 0 for w in parts.values()) or math.fsum(parts.values()) <= 0:
        raise InputError(
            f"mix needs rules with non-negative weights, e.g. mix:shapley=0.5,equal=0.5 (got {argument!r})"
        )
    if "mix" in parts:
        raise InputError("a mix cannot contain a mix")
    return parts


def _per_peer(values: Mapping[str, float], peers: Sequence[str], what: str) -> dict[str, float]:
    missing = [p for p in peers if p not in values]
    if missing:
        raise InputError(f"no {what} given for peers {missing}")
    return {p: float(values[p]) for p in peers}


def _game(inputs: SharingInputs) -> Game:
    if inputs.game is None:
        raise InputError("this rule needs coalition values (a scenario or a game), not only contributions")
    if tuple(inputs.game.players) != tuple(inputs.peers):
        raise InputError("the game's players differ from the peers to share among")
    return inputs.game


def _core_check(
    shares: dict[str, int], total: int, inputs: SharingInputs, options: RuleOptions, report: dict[str, Any]
) -> CoreReport | None:
    game = inputs.game
    if not options.check_core or game is None or total == 0:
        return None
    limit = MAX_CORE_PLAYERS if game.cheap_table else MAX_CORE_SOLVED_PLAYERS
    if game.n > limit:
        report["core"] = f"not checked: {game.n} peers (limit {limit} for this game)"
        return None
    grand = game.value(game.grand)
    factor = grand / total
    in_game_units = {p: shares[p] * factor for p in shares}
    # integer rounding moves each share by < 1 base unit
    return check_core(game, in_game_units, tolerance=1e-6 + game.n * abs(factor))
