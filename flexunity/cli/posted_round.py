"""Load one posted round for a reader who trusts neither the CM nor the store: from the chain, the hash of
its result document; from the store, that document and its round config (each checked against its
hash); from the audit, the round's verdict.

This is the loader of ``flexunity report``. Issue 14's ``flexunity plot --round R --manifest M`` has its
own (with an ``HttpStore`` for ``--store URL``); when both land, ``load_posted_round`` is the one place
to make them share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flexunity.errors import InputError
from flexunity.lab.round_page import PostedRound


def load_posted_round(
    manifest_path: Path,
    round_id: int,
    store_dir: str | Path | None,
    *,
    rpc_url: str | None = None,
    w3: Any = None,
) -> PostedRound:
    """The round's document, config and audit verdict; InputError (one line) when there is no such round,
    no posted result, or the store lacks its documents; ChainError when the node cannot be reached."""
    from flexunity.audit import audit_rounds
    from flexunity.audit.result import latest_result, result_of, result_state
    from flexunity.chain.manifest import load_manifest
    from flexunity.chain.reader import ChainReader, connect
    from flexunity.cli.audit import default_store
    from flexunity.record.store import FolderStore

    manifest = load_manifest(manifest_path)
    if store_dir is not None and "://" in str(store_dir):
        raise InputError(
            "a store URL needs issue 14's HttpStore; give the folder of documents", where="--store"
        )
    folder = Path(store_dir) if store_dir is not None else default_store(manifest_path)
    if not Path(folder).is_dir():
        raise InputError("no such folder of documents (give --store DIR)", where=str(folder))
    w3 = w3 or connect(rpc_url or manifest.rpc_url, manifest)
    reader = ChainReader(w3, manifest)
    count = reader.round_count()
    if not 1 <= round_id <= count:
        opened = {0: "no round is open yet", 1: "the chain has round 1"}.get(
            count, f"the chain has rounds 1 to {count}"
        )
        raise InputError(f"round {round_id} is not on chain ({opened})", where="--round")
    posted = latest_result(reader, round_id)
    if posted is None:
        raise InputError(f"round {round_id} has no posted result yet", where="--round")
    result = result_of(posted)
    digest = "0x" + result.document_hash.hex()
    store = FolderStore(folder)
    document = store.get_json(digest)
    if not isinstance(document, dict) or not isinstance(document.get("scenario"), dict):
        raise InputError(f"document {digest} is not a round-result document", where=str(folder))
    config_hash = str(document.get("config_hash", ""))
    config = store.get_json(config_hash) if store.path(config_hash).exists() else None
    applied = reader.logs(reader.clients.escrow.contract, ("SettlementApplied",), roundId=round_id)
    verdict = audit_rounds(manifest, folder, [round_id], w3=w3)[0]
    return PostedRound(
        round_id=round_id,
        document=document,
        config=config,
        verdict=verdict.to_dict(),
        chain_id=manifest.chain_id,
        document_hash=digest,
        contracts={name: c.address for name, c in manifest.contracts.items()},
        status=result_state(reader, round_id).status.name.lower(),
        leaf_count=result.leaf_count,
        leaves_applied=len(applied),
    )
