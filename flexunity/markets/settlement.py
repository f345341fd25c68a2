"""Settlement of one activation: baseline, delivered flexibility, revenue or penalty, per peer.

Energies in kWh per interval (conventions.md), ``sign`` = +1 for "up", −1 for "down" products, so a
peer's delivery in interval t is d = sign · (p_actual − p_baseline). Rules (docs/markets.md):

- The community is paid the utilisation price on Σ_t min(requested_t, max(0, Σ_n d_n,t)):
  over-delivery in one interval neither earns nor makes up for another.
- A peer is credited e_n = Σ_t max(0, min(d_n,t, planned_n,t)): what it delivered of its plan,
  never more; revenue is shared pro rata to e_n, so a peer that delivered nothing is paid nothing.
- A shortfall beyond the product's tolerance costs the penalty price per kWh short. Peers that fell
  short of their plan bear it pro rata to their own shortfall; a shortfall the re-dispatch could not
  avoid (no peer below plan) is borne pro rata to the offered capacity.
- Availability payment of the block is shared pro rata to offered capacity; a peer that delivered
  only part of its plan keeps that fraction of its availability share; the rest is forfeited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from flexunity.markets.activation import Activation
from flexunity.markets.offers import OfferBlock
from flexunity.markets.products import BalancingProduct
from flexunity.units import amounts_to_base_units, decimals_of

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class DeliveryResult:
    """Outcome of one activation. Money in the product currency; energies in kWh."""

    product: str
    activation: Activation
    peers: tuple[str, ...]
    requested_kwh: float
    delivered_kwh: float
    shortfall_kwh: float
    planned_kwh: dict[str, float]
    credited_kwh: dict[str, float]
    utilisation_revenue: float
    availability_revenue: float
    penalty: float
    revenue_by_peer: dict[str, float]
    penalty_by_peer: dict[str, float]
    redispatch_cost: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def net_by_peer(self) -> dict[str, float]:
        """Revenue minus penalty per peer (currency; negative = the peer pays)."""
        return {p: self.revenue_by_peer[p] - self.penalty_by_peer[p] for p in self.peers}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able document."""
        return {
            "product": self.product,
            "activation": self.activation.to_dict(),
            "requested_kwh": self.requested_kwh,
            "delivered_kwh": self.delivered_kwh,
            "shortfall_kwh": self.shortfall_kwh,
            "utilisation_revenue": self.utilisation_revenue,
            "availability_revenue": self.availability_revenue,
            "penalty": self.penalty,
            "redispatch_cost": self.redispatch_cost,
            "peers": {
                p: {
                    "planned_kwh": self.planned_kwh[p],
                    "credited_kwh": self.credited_kwh[p],
                    "revenue": self.revenue_by_peer[p],
                    "penalty": self.penalty_by_peer[p],
                    "net": self.net_by_peer[p],
                }
                for p in self.peers
            },
            "notes": list(self.notes),
        }


def settle(
    product: BalancingProduct,
    block: OfferBlock,
    activation: Activation,
    peers: tuple[str, ...],
    baseline_p_kwh: FloatArray,
    planned_p_kwh: FloatArray,
    actual_p_kwh: FloatArray,
    hours: float,
    redispatch_cost: float = 0.0,
) -> DeliveryResult:
    """Settle an activation from the baseline, planned (re-dispatch) and actual net productions (peer x T)."""
    window = slice(activation.start, activation.start + activation.intervals)
    requested = np.full(activation.intervals, activation.kw * hours)
    delivered = product.sign * (actual_p_kwh - baseline_p_kwh)[:, window]
    planned = product.sign * (planned_p_kwh - baseline_p_kwh)[:, window]
    community = np.minimum(requested, np.maximum(delivered.sum(axis=0), 0.0))
    delivered_total = float(community.sum())
    shortfall = float(requested.sum()) - delivered_total
    credited = np.maximum(np.minimum(delivered, planned), 0.0).sum(axis=1)
    planned_total = np.maximum(planned, 0.0).sum(axis=1)
    own_short = np.maximum(planned - delivered, 0.0).sum(axis=1)
    utilisation = product.utilisation_price_per_kwh * delivered_total
    penalised = shortfall > product.delivery_tolerance * float(requested.sum()) + 1e-9
    penalty = product.penalty_per_kwh * shortfall if penalised else 0.0
    revenue = _pro_rata(utilisation, credited)
    offered = np.array([block.peers_kw.get(p, 0.0) for p in peers])
    availability_full = _pro_rata(
        product.availability_price_per_mw_h * block.capacity_kw / 1000.0 * block.intervals * hours, offered
    )
    missed = np.divide(own_short, planned_total, out=np.zeros_like(own_short), where=planned_total > 1e-12)
    availability = availability_full * (1.0 - np.minimum(missed, 1.0))
    notes: list[str] = []
    if penalised and own_short.sum() > 1e-9:
        penalties = _pro_rata(penalty, own_short)
    else:
        penalties = _pro_rata(penalty, offered)
        if penalised:
            notes.append("shortfall not caused by any peer's metering: the re-dispatch could not deliver it")
    return DeliveryResult(
        product=product.name,
        activation=activation,
        peers=peers,
        requested_kwh=float(requested.sum()),
        delivered_kwh=delivered_total,
        shortfall_kwh=shortfall,
        planned_kwh=dict(zip(peers, planned_total.tolist(), strict=True)),
        credited_kwh=dict(zip(peers, credited.tolist(), strict=True)),
        utilisation_revenue=utilisation,
        availability_revenue=float(availability.sum()),
        penalty=penalty,
        revenue_by_peer=dict(zip(peers, (revenue + availability).tolist(), strict=True)),
        penalty_by_peer=dict(zip(peers, penalties.tolist(), strict=True)),
        redispatch_cost=redispatch_cost,
        notes=tuple(notes),
    )


def to_base_units(amounts: dict[str, float], scale: int) -> dict[str, int]:
    """Currency amounts to integer base units (× ``scale``), summing exactly to their rounded total
    (flexunity.units: decimal spelling, total rounded half away from zero, largest remainder)."""
    return amounts_to_base_units(amounts, decimals_of(scale))


def _pro_rata(amount: float, weights: FloatArray) -> FloatArray:
    mass = float(weights.sum())
    if amount == 0 or mass <= 1e-12:
        return np.zeros_like(weights, dtype=np.float64)
    return amount * weights / mass
