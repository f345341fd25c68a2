"""Bidding agents for the auctions: truthful, ZI-C (Gode & Sunder 1993) and ZIP (Cliff 1997).

An agent prices one side of one peer's position in one interval. Every peer has a *limit price*
(its marginal value, docs/lab.md): a buyer's is what the grid would cost it per kWh
(λ_imp + g_imp − φ), a seller's what exporting would earn (λ_exp + g_exp + φ). No agent ever bids
above its limit as a buyer or asks below it as a seller (the budget constraint of ZI-C).

- **truthful**: shouts its limit.
- **zic** (zero intelligence, constrained; Gode & Sunder 1993): a buyer bids uniformly in
  [floor, limit], a seller asks uniformly in [limit, ceiling]; floor and ceiling are the lowest and
  highest limit price of the interval (Gode & Sunder draw within a fixed price range of their market;
  ours is the range of the interval's limits). No memory.
- **zip** (zero intelligence plus; Cliff 1997): shouts λ·(1 + μ) with a profit margin μ (sellers
  μ ≥ 0, buyers −1 ≤ μ ≤ 0), adapted after every observed shout by the Widrow-Hoff rule with
  momentum: Δ = β(τ − p), Γ ← γΓ + (1 − γ)Δ, μ ← (p + Γ)/λ − 1, towards a target τ = R·q + A
  around the last shout price q. Parameters as Cliff's: β ~ U[0.1, 0.5], γ ~ U[0, 0.1], initial
  |μ| ~ U[0.05, 0.35], R ~ U[1, 1.05] (raise the price) or U[0.95, 1] (lower it), A ~ U[0, 0.05]
  or U[−0.05, 0] **times the interval's mean |limit|** (Cliff's prices are of order 1; ours are
  currency/kWh, so an absolute 0.05 would be a third of a price). Margins live per peer and side
  and persist across intervals and days (the agent learns). Limits are floored at 1e-6 in λ·(1+μ).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
AGENTS = ("truthful", "zic", "zip")
TINY = 1e-6


@dataclass
class ZipState:
    """ZIP margins, learning rates and momenta of every peer, for its buying and its selling side."""

    margin_buy: FloatArray
    margin_sell: FloatArray
    beta: FloatArray
    gamma: FloatArray
    momentum_buy: FloatArray
    momentum_sell: FloatArray

    @classmethod
    def new(cls, n: int, rng: np.random.Generator) -> ZipState:
        return cls(
            -rng.uniform(0.05, 0.35, n),
            rng.uniform(0.05, 0.35, n),
            rng.uniform(0.1, 0.5, n),
            rng.uniform(0.0, 0.1, n),
            np.zeros(n),
            np.zeros(n),
        )


@dataclass
class Agents:
    """The agents of every peer in one design: one strategy for all, a seeded generator, ZIP state."""

    kind: str
    n: int
    seed: int = 0
    rng: np.random.Generator = field(init=False)
    zip: ZipState = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in AGENTS:
            raise ValueError(f"unknown agent {self.kind!r}; choose one of {', '.join(AGENTS)}")
        self.rng = np.random.default_rng(self.seed)
        self.zip = ZipState.new(self.n, self.rng)

    def bid(self, peers: npt.NDArray[np.int64], limit: FloatArray, floor: float) -> FloatArray:
        """Bid prices of buyers ``peers`` with limit prices ``limit``."""
        if self.kind == "truthful":
            return limit.copy()
        if self.kind == "zic":
            return self.rng.uniform(np.minimum(floor, limit), limit)
        return np.maximum(limit, TINY) * (1 + self.zip.margin_buy[peers])

    def ask(self, peers: npt.NDArray[np.int64], limit: FloatArray, ceiling: float) -> FloatArray:
        """Ask prices of sellers ``peers`` with limit prices ``limit``."""
        if self.kind == "truthful":
            return limit.copy()
        if self.kind == "zic":
            return self.rng.uniform(limit, np.maximum(ceiling, limit))
        return np.maximum(limit, TINY) * (1 + self.zip.margin_sell[peers])

    def learn(
        self,
        side: str,
        peers: npt.NDArray[np.int64],
        limit: FloatArray,
        price: FloatArray,
        raise_margin: npt.NDArray[np.bool_],
        lower_margin: npt.NDArray[np.bool_],
        q: float,
        scale: float,
    ) -> None:
        """Cliff's update for the agents of ``side`` ("buy"/"sell") told to raise or lower their margin
        after a shout at price ``q`` (``scale``: the interval's mean |limit|, for A)."""
        if self.kind != "zip":
            return
        move = raise_margin | lower_margin
        if not move.any():
            return
        z, k = self.zip, int(move.sum())
        up_price = (raise_margin if side == "sell" else lower_margin)[move]  # target above q
        r = np.where(up_price, self.rng.uniform(1.0, 1.05, k), self.rng.uniform(0.95, 1.0, k))
        a = np.where(up_price, self.rng.uniform(0.0, 0.05, k), self.rng.uniform(-0.05, 0.0, k)) * scale
        idx = peers[move]
        lam = np.maximum(limit[move], TINY)
        delta = z.beta[idx] * (r * q + a - price[move])
        momentum = z.momentum_sell if side == "sell" else z.momentum_buy
        momentum[idx] = z.gamma[idx] * momentum[idx] + (1 - z.gamma[idx]) * delta
        margin = (price[move] + momentum[idx]) / lam - 1
        if side == "sell":
            z.margin_sell[idx] = np.maximum(margin, 0.0)
        else:
            z.margin_buy[idx] = np.clip(margin, -1.0, 0.0)
