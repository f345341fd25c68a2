"""The document server: the agreed routes, exact bytes, 4xx with reasons, nothing writable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from flexunity.chain.manifest import DeployedContract, Manifest
from flexunity.record.store import FolderStore, canonical_json, document_hash
from flexunity.web.app import ServeSettings, create_app


@pytest.fixture
def world(tmp_path: Path) -> dict:
    manifest = Manifest(
        chain_id=31337,
        contracts={"RoundBook": DeployedContract("0x" + "11" * 20, 3, "0x" + "ab" * 32)},
        compiler={"version": "0.8.28"},
    )
    manifest_path = manifest.save(tmp_path / "manifest.json")
    store = FolderStore(tmp_path / "store")
    hashes = {
        "config": store.put_json({"format": "flexunity-round-config/1", "round": 1, "intervals": 4}),
        "result": store.put_json({"format": "flexunity-round-result/1", "round": 1, "orders": []}),
        "revenue": store.put_json({"format": "flexunity-revenue-distribution/2", "round": 2, "total": 7}),
        "config2": store.put_json({"format": "flexunity-round-config/1", "round": 2, "intervals": 4}),
        "private": store.put(canonical_json({"scenario": {}, "clearing": {}})),  # oracle's own file
    }
    altered = store.put_json({"format": "flexunity-round-result/1", "round": 3})
    store.path(altered).write_bytes(canonical_json({"format": "flexunity-round-result/1", "round": 4}))
    hashes["altered"] = altered
    app = create_app(ServeSettings(manifest_path=manifest_path, store_dir=store.folder))
    return {"client": TestClient(app), "store": store, "hashes": hashes, "manifest": manifest_path}


def test_manifest_is_served_byte_for_byte(world: dict) -> None:
    response = world["client"].get("/manifest.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == world["manifest"].read_bytes()


def test_index_lists_each_published_document_with_kind_round_and_size(world: dict) -> None:
    response = world["client"].get("/documents")
    assert response.status_code == 200
    listed = response.json()["documents"]
    h, store = world["hashes"], world["store"]
    expected = [
        {"hash": h["config"], "kind": "round-config", "round": 1},
        {"hash": h["result"], "kind": "result", "round": 1},
        {"hash": h["config2"], "kind": "round-config", "round": 2},
        {"hash": h["revenue"], "kind": "revenue", "round": 2},
    ]
    assert [{k: d[k] for k in ("hash", "kind", "round")} for d in listed] == expected
    for entry in listed:
        assert entry["bytes"] == store.path(entry["hash"]).stat().st_size
    # the oracle's intermediate file and the altered one are not published
    assert {h["private"], h["altered"]}.isdisjoint(d["hash"] for d in listed)


def test_a_document_is_its_exact_bytes_and_hashes_to_its_name(world: dict) -> None:
    digest = world["hashes"]["result"]
    for name in (digest, digest.upper().replace("0X", "0x")):
        response = world["client"].get(f"/documents/{name}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.content == world["store"].get(digest)
        assert document_hash(response.content) == digest
        assert "immutable" in response.headers["cache-control"]


def test_a_document_appears_once_the_oracle_stores_it(world: dict) -> None:
    client = world["client"]
    before = len(client.get("/documents").json()["documents"])
    digest = world["store"].put_json({"format": "flexunity-round-result/1", "round": 2})
    assert len(client.get("/documents").json()["documents"]) == before + 1
    assert client.get(f"/documents/{digest}").status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/documents/0x" + "00" * 32, 404, "no published document"),
        ("/documents/0x1234", 400, "64 hexadecimal digits"),
        ("/documents/0x" + "zz" * 32, 400, "64 hexadecimal digits"),
        ("/documents/" + "ab" * 32, 400, "64 hexadecimal digits"),
        ("/documents/..%2Fmanifest.json", 400, "64 hexadecimal digits"),
        ("/documents/..%2F..%2Fetc%2Fpasswd", 400, "64 hexadecimal digits"),
        ("/nothing-here", 404, "no such page"),
    ],
)
def test_bad_requests_get_4xx_with_a_reason(world: dict, path: str, status: int, reason: str) -> None:
    response = world["client"].get(path)
    assert response.status_code == status
    assert reason in response.json()["error"]


def test_unpublished_and_altered_documents_are_not_served(world: dict) -> None:
    for name in ("private", "altered"):
        response = world["client"].get(f"/documents/{world['hashes'][name]}")
        assert response.status_code == 404
        assert "no published document" in response.json()["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/manifest.json", "/documents", "/documents/{result}"])
def test_nothing_can_be_written(world: dict, method: str, path: str) -> None:
    store_before = sorted(p.name for p in world["store"].folder.iterdir())
    manifest_before = world["manifest"].read_bytes()
    url = path.format(result=world["hashes"]["result"])
    response = world["client"].request(method, url, content=b'{"format":"flexunity-round-result/1"}')
    assert response.status_code == 405
    assert "read-only" in response.json()["error"]
    assert sorted(p.name for p in world["store"].folder.iterdir()) == store_before
    assert world["manifest"].read_bytes() == manifest_before


def test_index_of_a_folder_of_junk_is_empty_not_an_error(tmp_path: Path, world: dict) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / ("0x" + "ab" * 32 + ".json")).write_text("not json")
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    app = create_app(ServeSettings(manifest_path=world["manifest"], store_dir=tmp_path / "junk"))
    assert TestClient(app).get("/documents").json() == {"documents": []}


def test_index_is_json_with_the_agreed_keys(world: dict) -> None:
    body = json.loads(world["client"].get("/documents").content)
    assert set(body) == {"documents"}
    assert all(set(d) == {"hash", "kind", "round", "bytes"} for d in body["documents"])
