"""The ``ClearingResult`` struct a result document posts on chain (what the CM signs, EIP-712).

The totals are the document's; the fees and the supplier's charges are the credits of the CM's and the
supplier's leaves; the energies are the leaves' sums (docs/oracle.md, result document).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flexunity.chain.eip712 import ClearingResult
from flexunity.chain.settlement import SettlementLeaf
from flexunity.errors import InputError


def clearing_result(
    round_id: int,
    data: dict[str, Any],
    leaves: Sequence[SettlementLeaf],
    *,
    cm: str,
    supplier: str,
    attempt: int,
    signer_epoch: int,
) -> ClearingResult:
    """The struct of round ``round_id``'s result document ``data`` (its ``leaves`` parsed)."""
    cm, supplier = cm.lower(), supplier.lower()
    fees = sum(x.amount for x in leaves if x.account.lower() == cm and x.is_credit)
    # One account may be both (a small pilot): its single leaf then counts as fees only.
    charges = (
        0
        if supplier == cm
        else sum(x.amount for x in leaves if x.account.lower() == supplier and x.is_credit)
    )
    return ClearingResult(
        round_id,
        _b32(data["order_digest"]),
        _b32(data["merkle_root"]),
        _b32(data["result_hash"]),
        len(leaves),
        int(data["total_debit"]),
        int(data["total_credit"]),
        fees,
        charges,
        sum(x.import_wh for x in leaves),
        sum(x.export_wh for x in leaves),
        sum(x.bought_wh for x in leaves),
        attempt=attempt,
        signer_epoch=signer_epoch,
    )


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise InputError(f"expected 32 bytes, got {len(raw)}: {value}")
    return raw
