"""The core: an allocation x is in the core when no coalition S could do better alone,
x(S) = Σ_{i∈S} x_i ≥ v(S) for every S, and x(N) = v(N).

Checked by enumeration of all 2^n coalitions (vectorised), and the least-core LP
(min ε s.t. x(S) ≥ v(S) − ε, x(N) = v(N)) tells whether the core is empty at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from flexunity.allocation.game import Game, check_exact_size, subset_sums
from flexunity.errors import InputError

#: Largest community for which the least-core LP (2^n constraints) is solved.
MAX_LP_PLAYERS = 16


@dataclass(frozen=True)
class CoreReport:
    """Outcome of a core check, in the game's units (e.g. currency)."""

    in_core: bool
    max_excess: float
    worst_coalition: tuple[str, ...]
    coalitions_checked: int
    tolerance: float
    least_core_epsilon: float | None = None

    @property
    def core_empty(self) -> bool | None:
        """True when no allocation at all is in the core (least-core ε > tolerance); None if unknown."""
        if self.least_core_epsilon is None:
            return None
        return self.least_core_epsilon > self.tolerance

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary."""
        return {
            "in_core": self.in_core,
            "max_excess": self.max_excess,
            "worst_coalition": list(self.worst_coalition),
            "coalitions_checked": self.coalitions_checked,
            "tolerance": self.tolerance,
            "least_core_epsilon": self.least_core_epsilon,
            "core_empty": self.core_empty,
        }


def check_core(game: Game, allocation: Mapping[str, float], *, tolerance: float = 1e-6) -> CoreReport:
    """Check ``allocation`` (in the game's units) against every coalition's value.

    The excess of S is v(S) − x(S); the allocation is in the core when the largest excess over the
    proper coalitions is at most ``tolerance`` and x(N) = v(N) within ``tolerance``.
    """
    check_exact_size(game.n)
    missing = set(game.players) - set(allocation)
    if missing:
        raise InputError(f"allocation misses players {sorted(missing)}")
    x = np.array([allocation[p] for p in game.players], dtype=np.float64)
    values = game.table()
    excess = values - subset_sums(x)
    efficiency_gap = abs(float(excess[-1]))
    excess[0] = -np.inf
    excess[-1] = -np.inf
    worst = int(np.argmax(excess)) if game.n > 1 else 0
    max_excess = float(excess[worst]) if game.n > 1 else 0.0
    members = tuple(p for i, p in enumerate(game.players) if worst >> i & 1)
    epsilon = least_core_epsilon(game) if game.n <= MAX_LP_PLAYERS else None
    return CoreReport(
        in_core=max_excess <= tolerance and efficiency_gap <= tolerance,
        max_excess=max_excess,
        worst_coalition=members,
        coalitions_checked=(1 << game.n) - 2,
        tolerance=tolerance,
        least_core_epsilon=epsilon,
    )


def least_core_epsilon(game: Game) -> float:
    """Smallest ε such that some efficient x has x(S) ≥ v(S) − ε for all proper S (≤ 0: core non-empty)."""
    n = game.n
    if n > MAX_LP_PLAYERS:
        raise InputError(f"least-core LP limited to {MAX_LP_PLAYERS} players, got {n}")
    if n == 1:
        return 0.0
    values = game.table()
    masks = np.arange(1, (1 << n) - 1)
    member = ((masks[:, None] >> np.arange(n)) & 1).astype(np.float64)
    # variables (x_1..x_n, ε); constraint −x(S) − ε ≤ −v(S)
    a_ub = np.hstack([-member, -np.ones((len(masks), 1))])
    b_ub = -values[masks]
    a_eq = np.hstack([np.ones((1, n)), np.zeros((1, 1))])
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[values[-1]], bounds=(None, None), method="highs"
    )
    if result.status != 0:
        raise InputError(f"least-core LP failed: {result.message}")
    return float(result.x[-1])


def least_core_allocation(game: Game, target: Mapping[str, float]) -> tuple[dict[str, float], float]:
    """The least-core allocation closest (L1) to ``target``, and the least-core ε.

    First LP: ε* = min ε (see :func:`least_core_epsilon`). Second LP: min Σ|x_i − target_i| subject
    to x(S) ≥ v(S) − ε* for every proper S and x(N) = v(N). With a non-empty core (ε* ≤ 0) the result
    is a core allocation: no coalition gains by leaving.
    """
    n = game.n
    epsilon = least_core_epsilon(game)
    values = game.table()
    if n == 1:
        return {game.players[0]: float(values[-1])}, epsilon
    masks = np.arange(1, (1 << n) - 1)
    member = ((masks[:, None] >> np.arange(n)) & 1).astype(np.float64)
    goal = np.array([target[p] for p in game.players])
    eye = np.eye(n)
    # variables (x_1..x_n, d_1..d_n): min Σ d, −x(S) ≤ −v(S) + ε*, x − d ≤ goal, −x − d ≤ −goal
    a_ub = np.vstack(
        [np.hstack([-member, np.zeros((len(masks), n))]), np.hstack([eye, -eye]), np.hstack([-eye, -eye])]
    )
    slack = 1e-9 * max(1.0, float(np.abs(values).max()))
    b_ub = np.concatenate([-values[masks] + epsilon + slack, goal, -goal])
    a_eq = np.hstack([np.ones((1, n)), np.zeros((1, n))])
    cost = np.concatenate([np.zeros(n), np.ones(n)])
    bounds = [(None, None)] * n + [(0, None)] * n
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[values[-1]], bounds=bounds, method="highs")
    if result.status != 0:
        raise InputError(f"least-core allocation LP failed: {result.message}")
    return dict(zip(game.players, result.x[:n].tolist(), strict=True)), epsilon
