"""Keystores, passphrases, the document store and the manifest file."""

from __future__ import annotations

from pathlib import Path

import pytest

from flexunity.chain.keystore import import_key, keystore_address, load_keystore, new_keystore
from flexunity.chain.manifest import DeployedContract, Manifest, check_abi_hashes, load_manifest
from flexunity.errors import InputError
from flexunity.record.store import FolderStore, canonical_json, document_hash

KEY = "0x" + "42" * 32


def test_keystore_round_trip_with_env_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = new_keystore(tmp_path / "k.json", "s3cret", kdf_iterations=2)
    assert keystore_address(tmp_path / "k.json").lower() == account.address.lower()
    monkeypatch.setenv("FLEXUNITY_PASSPHRASE", "s3cret")
    assert load_keystore(tmp_path / "k.json").address == account.address


def test_wrong_passphrase_and_overwrite_are_refused(tmp_path: Path) -> None:
    import_key(KEY, tmp_path / "k.json", "right")
    with pytest.raises(InputError, match="wrong passphrase"):
        load_keystore(tmp_path / "k.json", "wrong")
    with pytest.raises(InputError, match="refusing to overwrite"):
        import_key(KEY, tmp_path / "k.json", "right")


def test_store_addresses_documents_by_keccak_and_detects_tampering(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    digest = store.put_json({"b": 1, "a": [1.5]})
    assert digest == document_hash(canonical_json({"a": [1.5], "b": 1}))
    assert store.get_json(digest) == {"a": [1.5], "b": 1}
    store.path(digest).write_text('{"a":[1.5],"b":2}')
    with pytest.raises(InputError, match="altered"):
        store.get(digest)


def test_manifest_round_trip_and_abi_check(tmp_path: Path) -> None:
    manifest = Manifest(
        chain_id=424242,
        contracts={"Registry": DeployedContract("0x" + "01" * 20, 5, "abc")},
        compiler={"version": "0.8.28"},
        roles={"cm": "0x" + "02" * 20},
    )
    loaded = load_manifest(manifest.save(tmp_path / "m.json"))
    assert loaded.to_dict() == manifest.to_dict()
    assert check_abi_hashes(loaded, {"Registry": "def"}) == ["Registry"]
    with pytest.raises(InputError, match="not found"):
        load_manifest(tmp_path / "missing.json")
