"""Money on chain: integer amounts from bills, the Merkle root, the signed totals, every movement.

Amounts follow docs/oracle.md: each peer's bill, minus the fees for the CM's fee account and the
community's net grid charges for the supplier, times 10^decimals, rounded by largest remainder to
integers summing to exactly zero. The audit recomputes them with its own code (``derive``) from the
document's bills (which ``bills`` checked against the prices) and demands *exact* equality with the
leaves; then it rebuilds the OpenZeppelin tree and compares its root with the posted one, and
compares every ``SettlementApplied`` event with the leaf it claims to apply.
"""

from __future__ import annotations

from typing import Any

from flexunity.audit import derive
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.eip712 import ClearingResult
from flexunity.chain.reader import ChainReader, Log
from flexunity.chain.settlement import SettlementLeaf, settlement_tree
from flexunity.errors import InputError


def document_leaves(round_id: int, document: dict[str, Any]) -> list[SettlementLeaf]:
    return [SettlementLeaf.from_dict(round_id, x) for x in document.get("settlement", {}).get("leaves", [])]


def check_amounts(
    verdict: RoundVerdict, reader: ChainReader, log: Log, document: dict[str, Any], decimals: int
) -> list[SettlementLeaf]:
    """Leaves = the documented rounding of the bills, to the right accounts, summing to zero."""
    leaves = document_leaves(verdict.round_id, document)
    settlement = document.get("settlement", {})
    fee_account, supplier = reader.registry().accounts_at(log.position)
    problems = []
    if str(settlement.get("cm", "")).lower() != fee_account.lower():
        problems.append(f"fees go to {settlement.get('cm')}, the registry's fee account was {fee_account}")
    if str(settlement.get("supplier", "")).lower() != supplier.lower():
        problems.append(
            f"grid charges go to {settlement.get('supplier')}, the registry's supplier was {supplier}"
        )
    if sum(leaf.bill for leaf in leaves) != 0:
        problems.append(f"the leaves sum to {sum(leaf.bill for leaf in leaves)} base units, not zero")
    clearing = document.get("clearing", {})
    try:
        bills, fees = derive.bills_and_fees(clearing)
        amounts = derive.settlement_amounts(
            bills, fees, decimals=decimals, fee_account=fee_account, supplier=supplier
        )
        expected = derive.expected_leaves(verdict.round_id, amounts, derive.energy_wh(clearing))
    except (InputError, KeyError, TypeError, ValueError) as exc:
        problems.append(f"amounts cannot be derived from the bills: {exc}")
        expected = []
    problems += _leaf_differences(expected, leaves)
    verdict.add(
        "settlement.amounts",
        problems,
        f"{len(leaves)} leaves = bills × 10^{decimals}, largest remainder, Σ = 0",
    )
    return leaves


def _leaf_differences(expected: list[SettlementLeaf], posted: list[SettlementLeaf]) -> list[str]:
    want = {x.account.lower(): x for x in expected}
    got = {x.account.lower(): x for x in posted}
    out = [f"{a} should get a leaf of {_money(x)} but has none" for a, x in want.items() if a not in got]
    out += [
        f"leaf {x.index} pays {a}, who is owed nothing by the bills" for a, x in got.items() if a not in want
    ]
    for account, leaf in got.items():
        if account in want and leaf != want[account]:
            w = want[account]
            if (leaf.amount, leaf.is_credit) != (w.amount, w.is_credit):
                out.append(f"leaf {leaf.index} of {account}: {_money(leaf)}, the bills give {_money(w)}")
            else:
                out.append(
                    f"leaf {leaf.index} of {account}: index or energy fields differ from the clearing's"
                )
    return out


def _money(leaf: SettlementLeaf) -> str:
    return f"{'credit' if leaf.is_credit else 'debit'} {leaf.amount}"


def check_root_and_totals(
    verdict: RoundVerdict, document: dict[str, Any], result: ClearingResult, leaves: list[SettlementLeaf]
) -> None:
    """The tree of the document's leaves has the posted root; the signed totals are the leaves' sums."""
    problems = []
    try:
        root = settlement_tree(result.round_id, leaves).root
    except ValueError as exc:
        root = b""
        problems.append(f"the leaves do not form a tree: {exc}")
    if root and root != result.results_root:
        problems.append(
            f"the document's leaves build root 0x{root.hex()}, the chain has 0x{result.results_root.hex()}"
        )
    shown = str(document.get("settlement", {}).get("merkle_root", "")).lower()
    if root and shown != "0x" + root.hex():
        problems.append(f"the document states root {shown}, its leaves build 0x{root.hex()}")
    verdict.add(
        "merkle.root", problems, f"root 0x{result.results_root.hex()[:12]}… rebuilt from {len(leaves)} leaves"
    )
    verdict.add(
        "result.totals",
        _total_problems(document, result, leaves),
        "leaf count, debits, credits, fees, energy agree",
    )


def _total_problems(
    document: dict[str, Any], result: ClearingResult, leaves: list[SettlementLeaf]
) -> list[str]:
    settlement = document.get("settlement", {})
    cm, supplier = str(settlement.get("cm", "")).lower(), str(settlement.get("supplier", "")).lower()
    expected = {
        "leafCount": len(leaves),
        "totalDebit": sum(x.amount for x in leaves if not x.is_credit),
        "totalCredit": sum(x.amount for x in leaves if x.is_credit),
        "feesTotal": sum(x.amount for x in leaves if x.is_credit and x.account.lower() == cm),
        # One account holding both roles has one leaf, counted as fees only (docs/oracle.md).
        "supplierTotal": 0
        if supplier == cm
        else sum(x.amount for x in leaves if x.is_credit and x.account.lower() == supplier),
        "importWh": sum(x.import_wh for x in leaves),
        "exportWh": sum(x.export_wh for x in leaves),
        "tradedWh": sum(x.bought_wh for x in leaves),
    }
    posted = {
        "leafCount": result.leaf_count, "totalDebit": result.total_debit, "totalCredit": result.total_credit,
        "feesTotal": result.fees_total, "supplierTotal": result.supplier_total, "importWh": result.import_wh,
        "exportWh": result.export_wh, "tradedWh": result.traded_wh,
    }  # fmt: skip
    return [f"posted {k} {posted[k]}, the leaves give {v}" for k, v in expected.items() if posted[k] != v]


def check_debits_have_orders(verdict: RoundVerdict, logs: list[Log], leaves: list[SettlementLeaf]) -> None:
    """Every debit (amount > 0) is of an account with an accepted order in the round: a result may not
    debit a bystander (the escrow refuses it too, and the round could then only be closed)."""
    ordered = {str(log.args["peer"]).lower() for log in logs}
    problems = [
        f"leaf {leaf.index} debits {leaf.amount} from {leaf.account}, which has no order in the round"
        for leaf in leaves
        if not leaf.is_credit and leaf.amount > 0 and leaf.account.lower() not in ordered
    ]
    debits = sum(1 for leaf in leaves if not leaf.is_credit and leaf.amount > 0)
    verdict.add(
        "settlement.debits", problems, f"{debits} debits, each of an account that ordered in the round"
    )


def check_movements(
    verdict: RoundVerdict, reader: ChainReader, result: ClearingResult, leaves: list[SettlementLeaf]
) -> bool:
    """Every ``SettlementApplied`` of the round is one of the leaves, once; returns True if all applied."""
    escrow = reader.clients.escrow.contract
    applied = reader.logs(escrow, ("SettlementApplied",), roundId=result.round_id)
    settled = reader.logs(escrow, ("RoundSettled",), roundId=result.round_id)
    by_index = {leaf.index: leaf for leaf in leaves}
    seen: set[int] = set()
    problems = []
    for log in applied:
        index = int(log.args["index"])
        leaf = by_index.get(index)
        moved = (str(log.args["account"]).lower(), int(log.args["amount"]), bool(log.args["isCredit"]))
        if index in seen:
            problems.append(f"leaf {index} was applied twice (block {log.block})")
        seen.add(index)
        if leaf is None:
            problems.append(f"block {log.block} applied leaf {index}, which the document does not have")
        elif moved != (leaf.account.lower(), leaf.amount, leaf.is_credit):
            problems.append(
                f"leaf {index} moved {moved[1]} {'to' if moved[2] else 'from'} {moved[0]}, "
                f"the document says {_money(leaf)} for {leaf.account}"
            )
    done = len(seen) == len(leaves) and bool(leaves)
    for log in settled:
        if int(log.args["total"]) != result.total_debit:
            problems.append(
                f"the round settled {log.args['total']}, the signed total debit is {result.total_debit}"
            )
    if done and not settled:
        problems.append("every leaf was applied but no RoundSettled event was emitted")
    state = "all applied" if done else f"{len(seen)} of {len(leaves)} applied (settlement pending)"
    verdict.add("escrow.movements", problems, f"{len(applied)} movements = leaves, {state}")
    return done
