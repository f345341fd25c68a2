"""Cooperative games: the coalition value ``v(S)`` that the Shapley value, marginal contributions and
the core need.

Players are peer ids; a coalition is a bit mask over the players' positions (bit ``i`` set = player
``i`` is a member). A :class:`Game` knows one coalition's value; subclasses that can do better
override :meth:`Game.table` (every coalition at once, for exact Shapley and the core) and
:meth:`Game.prefix_values` (every prefix of many permutations at once, for sampled Shapley).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from flexunity.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest player count for which every coalition is enumerated (2^22 values, 32 MiB).
MAX_EXACT_PLAYERS = 22


class Game:
    """A transferable-utility game over ``players`` with value function ``value(mask)``.

    ``evaluations`` counts calls of the underlying value function (cache misses): the number of
    optimisations an LP-backed game actually solved; vectorised games count every value they
    compute. ``cheap_table`` says whether :meth:`table` is vectorised (True) or one evaluation per
    coalition (False: 2^n optimisations).
    """

    cheap_table = False

    def __init__(self, players: Sequence[str], value: Callable[[int], float] | None = None) -> None:
        if len(set(players)) != len(players):
            raise InputError(f"duplicate player ids in {list(players)}")
        self.players: tuple[str, ...] = tuple(players)
        self._value_fn = value
        self._cache: dict[int, float] = {}
        self.evaluations = 0

    @property
    def n(self) -> int:
        """Number of players."""
        return len(self.players)

    @property
    def grand(self) -> int:
        """Mask of the grand coalition."""
        return (1 << self.n) - 1

    def mask(self, members: Iterable[str]) -> int:
        """Bit mask of a coalition given by peer ids."""
        index = {p: i for i, p in enumerate(self.players)}
        try:
            return sum(1 << index[m] for m in set(members))
        except KeyError as exc:
            raise InputError(f"unknown player {exc.args[0]!r}") from None

    def value(self, mask: int) -> float:
        """v(S) for the coalition ``mask``; the empty coalition is worth 0. Cached."""
        if mask == 0:
            return 0.0
        if mask not in self._cache:
            self.evaluations += 1
            self._cache[mask] = float(self._compute(mask))
        return self._cache[mask]

    def _compute(self, mask: int) -> float:
        if self._value_fn is None:
            raise NotImplementedError("subclasses without a value function must override _compute")
        return self._value_fn(mask)

    def table(self) -> FloatArray:
        """v(S) for every mask 0 .. 2^n - 1 (exponential: refused beyond MAX_EXACT_PLAYERS)."""
        check_exact_size(self.n)
        return np.array([self.value(m) for m in range(1 << self.n)], dtype=np.float64)

    def prefix_values(self, perms: IntArray) -> FloatArray:
        """For permutations ``perms`` (shape P x n), v of every prefix: shape P x (n + 1).

        Column ``k`` is the value of the first ``k`` players of the permutation (column 0 is 0).
        """
        out = np.zeros((perms.shape[0], self.n + 1))
        for row, perm in enumerate(perms):
            mask = 0
            for k, player in enumerate(perm, start=1):
                mask |= 1 << int(player)
                out[row, k] = self.value(mask)
        return out


def check_exact_size(n: int) -> None:
    """Refuse to enumerate 2^n coalitions when n is too large, pointing to sampling instead."""
    if n > MAX_EXACT_PLAYERS:
        raise InputError(
            f"{n} players: enumerating 2^{n} coalitions is too large (limit {MAX_EXACT_PLAYERS}); "
            "use sampled Shapley (--samples N)"
        )


def subset_sums(x: FloatArray) -> FloatArray:
    """Σ_{i∈S} x[i] for every mask S, by doubling: O(2^n) work, no Python loop over coalitions.

    ``x`` may be 1-D (one number per player, result shape 2^n) or 2-D (player x k, result 2^n x k).
    """
    n = x.shape[0]
    out = np.zeros((1 << n, *x.shape[1:]))
    for i in range(n):
        half = 1 << i
        out[half : 2 * half] = out[:half] + x[i]
    return out


def popcounts(n: int) -> IntArray:
    """Number of members of every mask 0 .. 2^n - 1."""
    counts = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        half = 1 << i
        counts[half : 2 * half] = counts[:half] + 1
    return counts


class TableGame(Game):
    """A game given by the full table of coalition values (index = mask)."""

    cheap_table = True

    def __init__(self, players: Sequence[str], values: FloatArray) -> None:
        super().__init__(players)
        if values.shape != (1 << len(players),):
            raise InputError(f"a table game of {len(players)} players needs {1 << len(players)} values")
        self._table = np.asarray(values, dtype=np.float64).copy()
        self._table[0] = 0.0

    def _compute(self, mask: int) -> float:
        return float(self._table[mask])

    def table(self) -> FloatArray:
        return self._table


class AdditiveThresholdGame(Game):
    """v(S) = price · Σ_{i∈S} x_i if Σ_{i∈S} x_i ≥ threshold, else 0.

    The balancing-revenue game: a coalition earns the utilisation price on its flexibility only if
    together it reaches the product's minimum offer size. Vectorised over coalitions and prefixes.
    """

    cheap_table = True

    def __init__(self, players: Sequence[str], amounts: Sequence[float], threshold: float, price: float):
        super().__init__(players)
        self.amounts = np.asarray(amounts, dtype=np.float64)
        self.threshold = float(threshold)
        self.price = float(price)

    def _of(self, total: FloatArray | float) -> FloatArray:
        total = np.asarray(total, dtype=np.float64)
        return np.where(total >= self.threshold - 1e-9, self.price * total, 0.0)

    def _compute(self, mask: int) -> float:
        members = [i for i in range(self.n) if mask >> i & 1]
        return float(self._of(float(self.amounts[members].sum())))

    def table(self) -> FloatArray:
        check_exact_size(self.n)
        return self._of(subset_sums(self.amounts))

    def prefix_values(self, perms: IntArray) -> FloatArray:
        sums = np.zeros((perms.shape[0], self.n + 1))
        sums[:, 1:] = np.cumsum(self.amounts[perms], axis=1)
        out = self._of(sums)
        out[:, 0] = 0.0
        return out
