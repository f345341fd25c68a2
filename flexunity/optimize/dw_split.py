"""The aggregated LP cut for Dantzig-Wolfe (dantzig_wolfe.py): peers' shards, the master's part.

In the aggregated LP (aggregate.py) the flexible peers are coupled only through the class rows
(``class_import_side``, ``class_export_side``: 2·K·T rows) and Σq = 0 (T rows), the ``LINK_GROUPS``;
every other row belongs to one peer (its shard's) or to the community's own columns (the master's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from flexunity.optimize.aggregate import AggregatedLP
from flexunity.optimize.dw_shards import ShardData
from flexunity.optimize.lp import FloatArray, IntArray

LINK_GROUPS = ("class_import_side", "class_export_side", "community_balance")


@dataclass(frozen=True, eq=False)
class Split:
    """The aggregated LP cut into shards (peer columns and rows) and the master (the rest)."""

    agg: AggregatedLP
    shards: list[ShardData]
    shard_cols: list[IntArray]  # columns of the aggregated LP per shard
    master_cols: IntArray
    link_rows: IntArray  # rows of the stacked [eq; ub] matrix that link peers
    master_rows: IntArray  # community rows on master columns only (ub)
    matrix: sp.csr_array  # stacked [eq; ub]
    row_lo: FloatArray
    row_hi: FloatArray
    balance: IntArray  # positions in link_rows of Σq = 0


def column_peers(agg: AggregatedLP) -> IntArray:
    """Per column of the aggregated LP, the scenario position of the peer it belongs to (−1 for
    the class and community columns)."""
    peer = np.full(agg.lp.n_vars, -1, dtype=np.int64)
    for name, blk in agg.lp.blocks.items():
        if not (name.startswith("class_") or name == "peak_kw"):
            shape = (-1,) + (1,) * (blk.ids.ndim - 1)
            peer[blk.ids] = np.broadcast_to(blk.peer_index.reshape(shape), blk.ids.shape)
    return peer


def split(agg: AggregatedLP, shards: int) -> Split:
    """Cut ``agg`` into ``shards`` groups of flexible peers (contiguous, near-equal) and the master."""
    lp = agg.lp
    eq, ub = lp.matrix("eq"), lp.matrix("ub")
    matrix = sp.csr_array(sp.vstack([eq, ub]))
    n_eq = eq.shape[0]
    row_lo = np.concatenate([lp.rhs("eq"), np.full(ub.shape[0], -np.inf)])
    row_hi = np.concatenate([lp.rhs("eq"), lp.rhs("ub")])
    peer = column_peers(agg)
    link = np.concatenate(
        [np.arange(lp.groups[g].start, lp.groups[g].start + lp.groups[g].size) for g in LINK_GROUPS]
    )
    is_link = np.zeros(matrix.shape[0], dtype=bool)
    is_link[link] = True
    coo = matrix.tocoo()
    row_peer = np.full(matrix.shape[0], -1, dtype=np.int64)
    on_peer = peer[coo.col] >= 0
    row_peer[coo.row[on_peer]] = peer[coo.col[on_peer]]
    master_rows = np.nonzero(~is_link & (row_peer < 0))[0]
    flexible = np.unique(peer[peer >= 0])
    groups = [g for g in np.array_split(flexible, max(1, min(shards, flexible.size))) if g.size]
    csc = matrix.tocsc()
    lb, ub_ = lp.bounds[0], capped_upper_bounds(agg)
    datas, cols_per_shard = [], []
    for members in groups:
        cols = np.nonzero(np.isin(peer, members))[0]
        rows = np.nonzero(~is_link & np.isin(row_peer, members))[0]
        sub = csc[:, cols]
        own = np.searchsorted(members, peer[cols])
        datas.append(
            ShardData(
                lp.cost[cols],
                lb[cols],
                ub_[cols],
                sp.csc_array(sub[rows]),
                row_lo[rows],
                row_hi[rows],
                sp.csr_array(sub[link]),
                own.astype(np.int64),
                members.size,
            )
        )
        cols_per_shard.append(cols)
    master_cols = np.nonzero(peer < 0)[0]
    community = lp.groups["community_balance"]
    balance = np.searchsorted(link, np.arange(community.start, community.start + community.size))
    assert n_eq >= community.start + community.size
    return Split(agg, datas, cols_per_shard, master_cols, link, master_rows, matrix, row_lo, row_hi, balance)


def capped_upper_bounds(agg: AggregatedLP) -> FloatArray:
    """Upper bounds with each peer's net import x⁺ and export x⁻ capped where some optimum lies
    (``admm.local.net_caps``: netting x⁺ against x⁻ inside a peer never costs, the wash W takes
    it), so no shard's LP is unbounded along x⁺ = x⁻ → ∞ at prices whose sum is numerically > 0."""
    from flexunity.optimize.admm.local import net_caps

    ub = agg.lp.bounds[1].copy()
    if "net_import" not in agg.lp.blocks:
        return ub
    ids = np.concatenate([agg.lp.blocks["net_import"].ids.ravel(), agg.lp.blocks["net_export"].ids.ravel()])
    ub[ids] = np.minimum(ub[ids], net_caps(agg.lp))
    return ub
