"""A small sparse LP (or convex QP) container: named variable blocks and named constraint groups.

The objective may carry a diagonal quadratic term ½·Σ h_j·x_j² (h ≥ 0: the exact quadratic cost
functions, asset_steps.define_cost_functions); without it the problem is an LP. Constraints are
assembled as COO.

Variables live in blocks labelled by owner (a peer or an asset) and interval, in the spirit of
linopy's named dimensions; constraint rows carry their group name, owner and interval so that an
infeasibility or a violated row can be explained in words. Every ``add_*`` call takes whole numpy
arrays: the builder never loops over peers × intervals in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

#: scipy.optimize.linprog's status codes (HiGHS's outcome as SciPy reports it)
LINPROG_OPTIMAL, LINPROG_INFEASIBLE, LINPROG_UNBOUNDED = 0, 2, 3

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class VarBlock:
    """Columns ``ids`` (shape owners × T [× K]) of one named variable block."""

    name: str
    owners: tuple[str, ...]
    peer_index: IntArray  # row of the owning peer in the scenario, per owner
    ids: IntArray


@dataclass(frozen=True, eq=False)
class RowGroup:
    """Rows ``start .. start+size-1`` of one named constraint group, with labels per row."""

    name: str
    kind: str  # "eq" or "ub"
    start: int
    size: int
    owners: tuple[str, ...]
    owner_index: IntArray  # per row, index into owners
    times: IntArray  # per row, interval index or -1 for round-wide rows


@dataclass(eq=False)
class LinearProgram:
    """Minimise c·x + ½·Σ h·x² + constant subject to A_eq x = b_eq, A_ub x <= b_ub, lb <= x <= ub."""

    n_vars: int = 0
    constant: float = 0.0
    keep_terms: bool = True  # False: only blocks, bounds and costs (a dispatch's labels, no matrix)
    blocks: dict[str, VarBlock] = field(default_factory=dict)
    groups: dict[str, RowGroup] = field(default_factory=dict)
    _cost: list[FloatArray] = field(default_factory=list)
    _lb: list[FloatArray] = field(default_factory=list)
    _ub: list[FloatArray] = field(default_factory=list)
    _quad: list[FloatArray] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=lambda: {"eq": 0, "ub": 0})
    _coo: dict[str, list[tuple[IntArray, IntArray, FloatArray]]] = field(
        default_factory=lambda: {"eq": [], "ub": []}
    )
    _rhs: dict[str, list[FloatArray]] = field(default_factory=lambda: {"eq": [], "ub": []})

    def add_vars(
        self,
        name: str,
        owners: list[str],
        peer_index: npt.ArrayLike,
        shape: tuple[int, ...],
        lb: npt.ArrayLike,
        ub: npt.ArrayLike,
        cost: npt.ArrayLike = 0.0,
        quad: npt.ArrayLike = 0.0,
    ) -> IntArray:
        """Add a block of ``prod(shape)`` columns; bounds, costs and the diagonal quadratic
        coefficients ``quad`` (objective ½·quad·x², quad ≥ 0) broadcast to ``shape``."""
        size = int(np.prod(shape))
        ids = np.arange(self.n_vars, self.n_vars + size, dtype=np.int64).reshape(shape)
        self.n_vars += size
        for target, value in ((self._lb, lb), (self._ub, ub), (self._cost, cost), (self._quad, quad)):
            target.append(np.broadcast_to(np.asarray(value, dtype=float), shape).ravel())
        self.blocks[name] = VarBlock(name, tuple(owners), np.asarray(peer_index, dtype=np.int64), ids)
        return ids

    def add_rows(
        self,
        name: str,
        kind: str,
        owners: list[str],
        owner_index: npt.ArrayLike,
        times: npt.ArrayLike,
        rhs: npt.ArrayLike,
    ) -> IntArray:
        """Add a group of rows (one per element of ``rhs``) and return their row numbers."""
        size = int(np.size(rhs))
        start = self._rows[kind]
        self._rows[kind] += size
        self._rhs[kind].append(np.asarray(rhs, dtype=float).ravel())
        self.groups[name] = RowGroup(
            name,
            kind,
            start,
            size,
            tuple(owners),
            np.broadcast_to(np.asarray(owner_index, dtype=np.int64), np.shape(rhs)).ravel(),
            np.broadcast_to(np.asarray(times, dtype=np.int64), np.shape(rhs)).ravel(),
        )
        return np.arange(start, start + size, dtype=np.int64).reshape(np.shape(rhs))

    def add_terms(self, kind: str, rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike) -> None:
        """Add coefficients ``vals`` at (rows, cols); the three arrays broadcast together."""
        if not self.keep_terms:
            return
        r, c, v = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=float))
        keep = c.ravel() >= 0
        self._coo[kind].append((r.ravel()[keep], c.ravel()[keep], v.ravel()[keep]))

    def matrix(self, kind: str) -> sp.csr_array:
        """The assembled sparse matrix of ``kind`` ("eq" or "ub"); duplicate entries are summed."""
        if not self.keep_terms:
            raise ValueError("this LinearProgram was built without its constraint coefficients")
        parts = self._coo[kind]
        if not parts:
            return sp.csr_array((0, self.n_vars))
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        vals = np.concatenate([p[2] for p in parts])
        return sp.coo_array((vals, (rows, cols)), shape=(self._rows[kind], self.n_vars)).tocsr()

    def rhs(self, kind: str) -> FloatArray:
        """Right-hand side of ``kind`` rows."""
        parts = self._rhs[kind]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def cost(self) -> FloatArray:
        """Objective coefficients c."""
        return np.concatenate(self._cost) if self._cost else np.zeros(0)

    @property
    def quad(self) -> FloatArray:
        """Diagonal quadratic coefficients h (objective ½·h·x²); zeros for an LP."""
        return np.concatenate(self._quad) if self._quad else np.zeros(0)

    @property
    def is_quadratic(self) -> bool:
        """True when some quadratic coefficient is positive (a QP, not an LP)."""
        return bool(np.any(self.quad > 0))

    def objective(self, x: FloatArray) -> float:
        """c·x + ½·Σ h·x² + constant at ``x``."""
        return float(self.cost @ x + 0.5 * np.sum(self.quad * x * x)) + self.constant

    def gradient(self, x: FloatArray) -> FloatArray:
        """Marginal objective cost of each variable at ``x``: c + h·x."""
        return self.cost + self.quad * x

    @property
    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds (±inf for none)."""
        if not self._lb:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._lb), np.concatenate(self._ub)

    @property
    def n_rows(self) -> int:
        """Number of constraints, equalities plus inequalities."""
        return self._rows["eq"] + self._rows["ub"]

    def group_of_row(self, kind: str, row: int) -> RowGroup:
        """The group that owns a row, for messages."""
        for g in self.groups.values():
            if g.kind == kind and g.start <= row < g.start + g.size:
                return g
        raise IndexError(row)

    def values(self, name: str, x: FloatArray) -> FloatArray:
        """The values of block ``name`` in a solution vector, shaped like the block."""
        return np.asarray(x[self.blocks[name].ids], dtype=float)


def highs(
    lp: LinearProgram,
    method: str,
    options: Mapping[str, Any] | None,
    bounds: tuple[FloatArray, FloatArray],
    cost: FloatArray | None = None,
) -> Any:
    """linprog (HiGHS) on ``lp``'s rows with the given bounds and linear cost (default ``lp.cost``)."""
    lb, ub = bounds
    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    return linprog(
        lp.cost if cost is None else cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        A_eq=a_eq,
        b_eq=lp.rhs("eq"),
        bounds=np.column_stack([lb, ub]),
        method=method,
        options=dict(options or {}),
    )
