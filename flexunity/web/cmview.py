"""The community manager's page: the round timeline, the peers, escrow totals, the audit, the day's plot.

Everything here is read from the chain, the inbox and the store; the audit runs on demand (a button)
with the same code as ``flexunity audit`` and its verdict is kept until the next run.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flexunity.web.chainview import stage


class AuditCache:
    """The latest audit verdicts of this deployment, and when they were computed."""

    def __init__(self) -> None:
        self.verdicts: list[dict[str, Any]] = []
        self.at = 0.0
        self.error = ""
        self._lock = threading.Lock()

    def run(self, site: Any) -> None:
        from flexunity.audit import audit_rounds

        with self._lock:
            try:
                verdicts = audit_rounds(site.manifest, site.store.folder, w3=site.w3)
                self.verdicts, self.error = [v.to_dict() for v in verdicts], ""
            except Exception as exc:  # shown on the page; the server keeps serving
                self.error = f"{type(exc).__name__}: {exc}"
            self.at = time.time()


def cm_context(site: Any) -> dict[str, Any]:
    chain, inbox = site.chain, site.inbox
    now = chain.now()
    rounds = []
    for round_id in reversed(chain.open_rounds()):
        view = chain.view(round_id)
        info = chain.clients.rounds.round(round_id)
        entries = inbox.entries(round_id)
        dropped = _dropped_by_oracle(site, view.result_hash) if view.result_hash else []
        rounds.append(
            {
                "id": round_id,
                "stage": stage(view, now),
                "start": info.start_time,
                "gate": info.gate_closure,
                "orders": view.order_count,
                "inbox_relayed": sum(e.status == "relayed" for e in entries),
                "inbox_pending": sum(e.status == "pending" for e in entries),
                "rejected": [e for e in entries if e.status in ("refused", "dropped")],
                "result_hash": view.result_hash,
                "window_ends": view.window_ends,
                "settled": view.settled_leaves,
                "fully_settled": view.fully_settled,
                "config_hash": view.config_hash,
                "dropped": dropped,
            }
        )
    decimals = chain.token_decimals()
    peers = peer_rows(site)
    escrow = chain.clients.escrow.address
    held = int(chain.clients.token.contract.functions.balanceOf(escrow).call())
    return {
        "now": now, "rounds": rounds, "peers": peers, "decimals": decimals, "symbol": chain.token_symbol(),
        "escrow_held": held, "escrow_balances": sum(p["balance"] for p in peers),
        "escrow_debts": sum(p["debt"] for p in peers), "audit": site.audits,
        "plot_round": next((r["id"] for r in rounds if r["result_hash"]), None),
        "inbox": site.inbox_enabled,
    }  # fmt: skip


def _dropped_by_oracle(site: Any, result_hash: str) -> list[dict[str, Any]]:
    """Orders the chain accepted but the oracle left out of the clearing, with its reasons."""
    try:
        document = site.store.get_json(result_hash)
    except Exception:  # a result document this server does not hold: nothing to show
        return []
    return [dict(r) for r in document.get("rejected_orders", [])]


def peer_rows(site: Any) -> list[dict[str, Any]]:
    """Every enrolled peer with its kind, membership and escrow account."""
    chain = site.chain
    registry, escrow = chain.clients.registry, chain.clients.escrow
    first = chain.manifest.first_block
    kinds = ["consumer", "prosumer", "producer", "storage"]
    enrolled = registry.contract.events.PeerEnrolled().get_logs(from_block=first)
    left = {log["args"]["peer"] for log in registry.contract.events.PeerLeft().get_logs(from_block=first)}
    rows = []
    for log in enrolled:
        address = log["args"]["peer"]
        account = escrow.account(address)
        rows.append(
            {
                "address": address,
                "kind": kinds[int(log["args"]["kind"])]
                if int(log["args"]["kind"]) < 4
                else str(log["args"]["kind"]),
                "from_round": int(log["args"]["fromRound"]),
                "left": address in left,
                "balance": account.balance,
                "debt": account.debt,
                "withdrawable": escrow.withdrawable(address),
            }
        )
    return rows


_PLOTS: dict[str, bytes] = {}


def day_plot(site: Any, round_id: int) -> bytes | None:
    """The posted round's day plot (PNG bytes), drawn once per result document."""
    digest = site.chain.posted_document_hash(round_id)
    if not digest:
        return None
    if digest not in _PLOTS:
        from flexunity.report.plots import plot_day

        document = site.store.get_json(digest)
        with tempfile.TemporaryDirectory() as folder:
            path = plot_day(document["scenario"], document["clearing"], Path(folder) / "day.png")
            _PLOTS[digest] = Path(path).read_bytes()
    return _PLOTS[digest]
