"""The auditor's page: audit a deployment from its manifest URL and an RPC URL, check by check.

Whoever opens the page runs the audit on their own machine (the server that renders it is theirs):
the manifest and every published document are fetched over HTTP into a temporary folder, each
document is accepted only if its bytes hash to the name the chain gives it (the store checks it on
read), and ``flexunity.audit`` re-derives every round. Each check is shown with what it means.
"""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from flexunity.errors import UserError
from flexunity.record.store import document_hash

MAX_FETCH_BYTES = 256 * 1024 * 1024
MEANINGS = {
    "round": "the round exists on chain and its schedule and config are the ones it was opened with",
    "config": "the round's rules are the document whose hash the round was opened with",
    "prices": "the internal prices follow the declared pricing rule from the dispatch",
    "bills": "every peer's bill follows from the dispatch and the prices",
    "document.hash": "the result document's bytes hash to the documentHash posted on chain",
    "orders.digest": "the orders in the document are exactly the signed orders the chain accepted",
    "orders.signatures": "every order carries its peer's valid EIP-712 signature",
    "orders.inputs": "the optimisation's inputs are the orders' payloads and the round's config",
    "optimisation.feasible": "the dispatch meets every balance, bound and battery constraint",
    "optimisation.optimal": "an independent re-solve finds no cheaper dispatch (within tolerance)",
    "optimisation.summary": "the reported costs and KPIs follow from the dispatch",
    "settlement.amounts": "each leaf's amount is the bill in token units; the round sums to zero",
    "settlement.decimals": "the token's decimals are those the amounts were rounded to",
    "merkle.root": "the leaves build the Merkle root posted on chain",
    "result.digest": "the posted result refers to the round's order digest",
    "result.posted": "the posted result fields are the document's",
    "result.signatures": "the result is signed by the authorised clearing signers",
    "result.totals": "the posted debit, credit, fee and supplier totals are the leaves' sums",
    "escrow.movements": "the escrow moved exactly the leaves' amounts for this round",
    "escrow.ledger": "escrow balances and debts equal the replay of every deposit, settlement, withdrawal",
    "revenue.document": "the revenue document is the one whose hash the distribution was created with",
    "revenue.rule": "the shares follow the declared sharing rule",
    "revenue.root": "the shares build the distribution's Merkle root on chain",
    "revenue.claims": "every claim paid exactly a share of the tree, once",
    "revenue.carry": "swept rests were carried into later distributions, nothing lost",
}


def meaning(check: str) -> str:
    return MEANINGS.get(check, MEANINGS.get(check.split(".")[0], ""))


def _fetch(url: str) -> bytes:
    if urlparse(url).scheme not in ("http", "https"):
        raise UserError(f"{url[:100]!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            data = answer.read(MAX_FETCH_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise UserError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if len(data) > MAX_FETCH_BYTES:
        raise UserError(f"{url}: larger than {MAX_FETCH_BYTES} bytes")
    return data


def fetch_deployment(manifest_url: str, folder: Path) -> tuple[Path, Path, int]:
    """The manifest and every listed document, downloaded into ``folder``; (manifest, store, count)."""
    manifest_path = folder / "manifest.json"
    manifest_path.write_bytes(_fetch(manifest_url))
    store = folder / "store"
    store.mkdir()
    index = json.loads(_fetch(urljoin(manifest_url, "documents")))
    count, listed = 0, index.get("documents", [])
    for entry in listed:
        digest = str(entry["hash"]).lower()
        data = _fetch(urljoin(manifest_url, f"documents/{digest}"))
        if document_hash(data) != digest:  # not stored: the audit then says the document is missing
            continue
        (store / f"{digest}.json").write_bytes(data)
        count += 1
    (folder / "index.json").write_text(json.dumps(listed))
    return manifest_path, store, count


def round_transactions(manifest_path: Path, rpc_url: str | None) -> dict[int, list[dict[str, Any]]]:
    """Each round's transactions as the chain's events give them: opened, result posted, settled."""
    from flexunity.chain.contracts import ContractClients
    from flexunity.chain.manifest import deployment_of, load_manifest
    from flexunity.chain.reader import connect

    manifest = load_manifest(manifest_path)
    clients = ContractClients(connect(rpc_url or manifest.rpc_url, manifest), deployment_of(manifest))
    events = [
        ("opened", clients.rounds.contract.events.RoundOpened),
        ("result posted", clients.clearing.contract.events.ResultPosted),
        ("settled", clients.escrow.contract.events.RoundSettled),
    ]
    found: dict[int, list[dict[str, Any]]] = {}
    for label, event in events:
        for log in event().get_logs(from_block=manifest.first_block):
            found.setdefault(int(log["args"]["roundId"]), []).append(
                {
                    "what": label,
                    "tx": "0x" + bytes(log["transactionHash"]).hex(),
                    "block": int(log["blockNumber"]),
                }
            )
    return found


def audit_context(manifest_url: str, rpc_url: str) -> dict[str, Any]:
    from flexunity.audit import audit_rounds

    try:
        with tempfile.TemporaryDirectory() as tmp:
            manifest_path, store, count = fetch_deployment(manifest_url, Path(tmp))
            manifest = json.loads(manifest_path.read_text())
            verdicts = audit_rounds(manifest_path, store, rpc_url=rpc_url or None)
            transactions = round_transactions(manifest_path, rpc_url or None)
            listed = json.loads((Path(tmp) / "index.json").read_text())
    except (UserError, ValueError, KeyError) as exc:
        return {"audit_error": str(exc)}
    rounds = []
    for verdict in verdicts:
        data = verdict.to_dict()
        for check in data["checks"]:
            check["meaning"] = meaning(check["name"])
        data["documents"] = [d for d in listed if d.get("round") == verdict.round_id]
        data["transactions"] = transactions.get(verdict.round_id, [])
        rounds.append(data)
    base = manifest_url.rsplit("/", 1)[0]
    return {
        "verdicts": rounds,
        "documents_fetched": count,
        "document_base": base,
        "contracts": manifest.get("contracts", {}),
        "manifest_chain": manifest.get("chain_id"),
        "explorer": str(manifest.get("parameters", {}).get("explorer_url") or "").rstrip("/"),
    }
