"""Exact aggregation of scaled copies: assets, and whole peers, that are the same model in another
size are solved as one and split back in proportion, with the same optimum.

A battery, shiftable load, EV charger or curtailable load is a **scaled copy** of another of its
kind when every extensive quantity (energies, powers, states, profiles) is the other's times one
factor s > 0 and every intensive one (efficiencies, per-kWh costs, windows, fractions) is equal.
Their feasible sets (of whole trajectories, e.g. charge, discharge and state of charge) are then
s·K and K for one convex set K, so a set of copies with sizes s_1 … s_m has the Minkowski sum
(Σ s_j)·K, and a point x of it splits as x·s_j/Σ s into points of each, at the same cost (costs are
per kWh: positively homogeneous).

Where that is exact in the community LP:
- **within a peer**: the peer's balance (3b) sees only the sum of its assets, so copies merge into
  one asset of size Σ s;
- **across peers, whole peers only**: peers with the same tariff and weights (one grid class) whose
  load, PV and every asset are copies with one common factor merge into one peer. The merged peer
  may net one member's import against another's export without the fee, so its optimum is at most
  the per-peer optimum (netting x⁺ against x⁻ never costs: purchases and sales, or import and
  export, fall together); the proportional split of the merged optimum has every member's position
  of the same sign, hence the same class sums and cost. So the optima are equal.
- Scaled-copy assets of *different*, non-copy peers do **not** merge exactly while the fee is
  positive: each peer's own balance and fee see its own asset, and a common proportional dispatch
  is a restriction. Peers with a quadratic cost function never merge (not homogeneous).

``reduce_scenario`` detects the classes and builds the smaller scenario; ``solve_with_scaled_copies``
solves it and maps the dispatch back onto every original peer and asset (docs/optimisation.md,
"Exact aggregation of scaled copies"; tests prove equal optima on random communities).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from flexunity.model import Battery, CurtailableLoad, EVCharger, Peer, Scenario, ShiftableLoad

#: Fields that scale with an asset's size; every other field (except ``id``) must be equal.
EXTENSIVE: dict[type, tuple[str, ...]] = {
    Battery: ("capacity_kwh", "charge_kw", "discharge_kw", "soc_initial_kwh", "soc_final_kwh", "soc_min_kwh"),
    ShiftableLoad: ("energy_kwh", "max_kw", "preferred_kw"),
    CurtailableLoad: ("profile_kw", "max_kw"),
    EVCharger: ("energy_kwh", "max_kw"),
}
KINDS = ("batteries", "shiftable_loads", "curtailable_loads", "ev_chargers")
DIGITS = 9  # relative precision at which two normalised quantities count as equal


def _size(asset: Any) -> float:
    """The asset's size: its first extensive quantity (capacity, energy, or profile energy)."""
    first = getattr(asset, EXTENSIVE[type(asset)][0])
    return float(np.sum(first)) if isinstance(first, np.ndarray) else float(first)


def _key(value: Any, scale: float | None) -> Any:
    """A hashable, rounded form of a field (divided by ``scale`` when extensive)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) or (scale is not None and isinstance(value, int | float)):
        arr = np.atleast_1d(np.asarray(value, dtype=float)) / (scale or 1.0)
        return tuple(np.round(arr, DIGITS).tolist())
    return value if not isinstance(value, list) else tuple(value)


def asset_signature(asset: Any, scale: float) -> tuple[Any, ...]:
    """Kind, intensive fields, and extensive fields divided by ``scale``: equal for scaled copies."""
    ext = EXTENSIVE[type(asset)]
    keys = [_key(getattr(asset, f.name), scale if f.name in ext else None) for f in fields(asset)]
    return (type(asset).__name__, *(k for f, k in zip(fields(asset), keys, strict=True) if f.name != "id"))


def _scaled(asset: Any, factor: float, new_id: str | None = None) -> Any:
    """The asset with every extensive field times ``factor``."""
    changes: dict[str, Any] = {} if new_id is None else {"id": new_id}
    for name in EXTENSIVE[type(asset)]:
        value = getattr(asset, name)
        if value is not None:
            changes[name] = (
                np.asarray(value, dtype=float) * factor if isinstance(value, np.ndarray) else value * factor
            )
    return replace(asset, **changes)


@dataclass(frozen=True)
class Reduction:
    """The smaller scenario and, per original owner label, its source label and share."""

    scenario: Scenario
    owners: dict[str, tuple[str, float]]  # original peer id or "peer/asset" → (reduced label, share)
    merged_assets: int  # assets removed by merging within peers
    merged_peers: int  # peers removed by merging whole peers


def _merge_within(peer: Peer, owners: dict[str, tuple[str, float]]) -> tuple[Peer, int]:
    changes: dict[str, Any] = {}
    removed = 0
    for kind in KINDS:
        groups: dict[Any, list[Any]] = {}
        for a in getattr(peer, kind):
            size = _size(a)
            groups.setdefault(asset_signature(a, size) if size > 0 else ("alone", a.id), []).append(a)
        merged = []
        for group in groups.values():
            total = sum(_size(a) for a in group)
            head = group[0] if len(group) == 1 else _scaled(group[0], total / _size(group[0]))
            merged.append(head)
            for a in group:
                owners[f"{peer.id}/{a.id}"] = (
                    f"{peer.id}/{head.id}",
                    1.0 if len(group) == 1 else _size(a) / total,
                )
            removed += len(group) - 1
        changes[kind] = tuple(merged)
    return replace(peer, **changes), removed


def _peer_scale(peer: Peer) -> float:
    load = float(np.sum(peer.load_kw))
    return load if load > 0 else float(np.sum(peer.pv_kw)) if peer.pv_kw is not None else 0.0


def peer_signature(peer: Peer) -> tuple[Any, ...] | None:
    """Equal for peers that are scaled copies of each other in one grid class; None: never merges."""
    scale = _peer_scale(peer)
    if peer.cost_function is not None or scale <= 0:
        return None
    assets = tuple(
        sorted((asset_signature(a, scale) for kind in KINDS for a in getattr(peer, kind)), key=repr)
    )
    pv = None if peer.pv_kw is None else _key(peer.pv_kw, scale)
    return (peer.tariff, peer.delta_imp, peer.delta_exp, _key(peer.load_kw, scale), pv, assets)


def _aligned(peer: Peer) -> list[str]:
    """The peer's asset ids ordered by signature (so copies line up asset by asset)."""
    scale = _peer_scale(peer)
    items = [(repr(asset_signature(a, scale)), a.id) for kind in KINDS for a in getattr(peer, kind)]
    return [aid for _, aid in sorted(items)]


def reduce_scenario(scenario: Scenario) -> Reduction:
    """Merge scaled-copy assets within peers, then scaled-copy peers (module docstring)."""
    owners: dict[str, tuple[str, float]] = {}
    merged_assets = 0
    inner = []
    for p in scenario.peers:
        q, removed = _merge_within(p, owners)
        inner.append(q)
        merged_assets += removed
    groups: dict[Any, list[Peer]] = {}
    for p in inner:
        sig = peer_signature(p)
        groups.setdefault(sig if sig is not None else ("alone", p.id), []).append(p)
    peers = []
    peer_map: dict[str, tuple[str, float]] = {}
    for group in groups.values():
        head = group[0]
        total = sum(_peer_scale(p) for p in group) if len(group) > 1 else 1.0
        if len(group) > 1:
            f = total / _peer_scale(head)
            changes: dict[str, Any] = {
                kind: tuple(_scaled(a, f) for a in getattr(head, kind)) for kind in KINDS
            }
            changes["load_kw"] = np.asarray(head.load_kw, float) * f
            changes["pv_kw"] = None if head.pv_kw is None else np.asarray(head.pv_kw, float) * f
            head = replace(head, **changes)
        peers.append(head)
        head_assets = _aligned(group[0])
        for p in group:
            share = 1.0 if len(group) == 1 else _peer_scale(p) / total
            peer_map[p.id] = (head.id, share)
            for aid, hid in zip(_aligned(p), head_assets, strict=True):
                peer_map[f"{p.id}/{aid}"] = (f"{head.id}/{hid}", share)
    composed: dict[str, tuple[str, float]] = {}
    for p in scenario.peers:
        composed[p.id] = peer_map[p.id]
        for kind in KINDS:
            for a in getattr(p, kind):
                mid, s1 = owners[f"{p.id}/{a.id}"]
                final, s2 = peer_map[mid]
                composed[f"{p.id}/{a.id}"] = (final, s1 * s2)
    merged_peers = len(scenario.peers) - len(peers)
    return Reduction(replace(scenario, peers=tuple(peers)), composed, merged_assets, merged_peers)


def solve_with_scaled_copies(scenario: Scenario) -> tuple[Any, Reduction]:
    """The dispatch of ``scenario`` solved on its reduction and split back (a ``solve.Dispatch`` on
    the original peers and assets, same optimum), and the reduction."""
    from flexunity.optimize.builder import build_lp
    from flexunity.optimize.solve import Dispatch, solve_dispatch

    start = time.perf_counter()
    red = reduce_scenario(scenario)
    reduce_s = time.perf_counter() - start
    d = solve_dispatch(red.scenario)
    start = time.perf_counter()
    values = d.to_dict()
    target = build_lp(scenario, terms=False)
    x = np.zeros(target.n_vars)
    for name, blk in target.blocks.items():
        source = values.get(name, {})
        for i, owner in enumerate(blk.owners):
            label, share = red.owners.get(owner, (owner, 1.0))
            if label in source:
                x[blk.ids[i]] = np.asarray(source[label], dtype=float) * share
    objective = float(target.cost @ x) + target.constant
    timings = dict(d.timings, reduce_s=reduce_s, split_s=time.perf_counter() - start)
    return Dispatch(scenario, target, x, objective, d.duals, "optimal", timings), red
