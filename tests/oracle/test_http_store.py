"""HttpStore: documents read over HTTP by their hash, refused unless their bytes hash to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_server import serve_folder

from flexunity.chain.devnet import free_port
from flexunity.chain.manifest import DeployedContract, Manifest, load_manifest
from flexunity.errors import ChainError, InputError
from flexunity.record.store import FolderStore, HttpStore, default_store, open_store


def test_fetches_a_document_by_its_hash(tmp_path: Path) -> None:
    folder = FolderStore(tmp_path / "store")
    digest = folder.put_json({"format": "x", "round": 1})
    with serve_folder(None, folder.folder) as url:
        store = open_store(url)
        assert isinstance(store, HttpStore)
        assert store.get(digest) == folder.get(digest)
        assert store.get_json(digest) == {"format": "x", "round": 1}
        assert [d["hash"] for d in store.index()] == [digest]


def test_refuses_bytes_that_do_not_hash_to_the_name(tmp_path: Path) -> None:
    folder = FolderStore(tmp_path / "store")
    digest = folder.put_json({"amount": 1})
    tampered = serve_folder(None, folder.folder, tamper={digest: b'{"amount":1000}'})
    with tampered as url, pytest.raises(InputError, match=f"document {digest} was altered"):
        HttpStore(url).get(digest)


def test_missing_document_and_dead_server_are_one_line_errors(tmp_path: Path) -> None:
    with serve_folder(None, tmp_path) as url, pytest.raises(InputError, match="is not in the store"):
        HttpStore(url).get("0x" + "ab" * 32)
    with pytest.raises(ChainError, match="cannot fetch"):
        HttpStore(f"http://127.0.0.1:{free_port()}").get("0x" + "ab" * 32)


def test_the_store_is_read_only() -> None:
    with pytest.raises(InputError, match="read-only"):
        HttpStore("http://127.0.0.1:1").put(b"{}")


def test_manifest_from_a_url_and_the_default_store_beside_it(tmp_path: Path) -> None:
    contracts = {"RoundBook": DeployedContract("0x" + "11" * 20, 1, "0x")}
    path = Manifest(4242, contracts, {}).save(tmp_path / "manifest.json")
    with serve_folder(path, tmp_path) as url:
        assert load_manifest(f"{url}/manifest.json").chain_id == 4242
        assert default_store(f"{url}/manifest.json") == url
        with pytest.raises(InputError, match="no manifest"):
            load_manifest(f"{url}/other.json")
    assert default_store(path) == tmp_path / "store"
