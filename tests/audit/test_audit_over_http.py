"""The audit reads the CM's documents over HTTP (HttpStore) and trusts the hashes on chain, not the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audit_world import World
from doc_server import serve_folder

from flexunity.audit import audit_rounds
from flexunity.record.store import HttpStore

pytestmark = pytest.mark.chain


def test_an_honest_round_passes_with_documents_fetched_over_http(
    world: World, clean_round: tuple[int, dict[str, Any]]
) -> None:
    round_id, _ = clean_round
    with serve_folder(world.manifest_path, world.store) as url:
        (verdict,) = audit_rounds(f"{url}/manifest.json", url, [round_id], w3=world.w3)
    assert verdict.passed, [(c.name, c.detail) for c in verdict.checks if not c.passed]


def test_a_server_that_alters_a_document_fails_the_round(
    world: World, clean_round: tuple[int, dict[str, Any]], tmp_path: Path
) -> None:
    round_id, data = clean_round
    digest = data["result_hash"]
    altered = b'{"format":"flexunity-round-result/1"}'  # what a dishonest server might send instead
    with serve_folder(world.manifest_path, world.store, tamper={digest: altered}) as url:
        (verdict,) = audit_rounds(world.manifest_path, HttpStore(url), [round_id], w3=world.w3)
    failed = {c.name: c.detail for c in verdict.checks if not c.passed}
    assert not verdict.passed
    assert f"document {digest} was altered" in failed["document.hash"]
