"""A content-addressed document store: a document's name is the keccak256 of its bytes.

The round configuration and the result documents live here; their hashes go on chain, so anyone
holding a copy can prove it is the one the chain refers to. The default store is a folder; any object
with ``put``/``get`` of the same meaning (an HTTP bucket, IPFS) can replace it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flexunity.chain.hashing import keccak_hex
from flexunity.errors import InputError


def canonical_json(document: Any) -> bytes:
    """The one byte encoding of a document: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def document_hash(data: bytes) -> str:
    """``0x`` + keccak256 of the bytes, as the contracts compute it."""
    return keccak_hex(data)


class FolderStore:
    """Documents as files ``<folder>/<0xhash>.json``, written atomically, checked when read."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.folder / f"{digest.lower()}.json"

    def location(self, digest: str) -> str:
        return str(self.path(digest))

    def put(self, data: bytes) -> str:
        digest = document_hash(data)
        target = self.path(digest)
        if not target.exists():
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return digest

    def get(self, digest: str) -> bytes:
        target = self.path(digest)
        if not target.exists():
            raise InputError(f"document {digest} is not in the store", where=str(self.folder))
        data = target.read_bytes()
        if document_hash(data) != digest.lower():
            raise InputError(f"document {digest} was altered: its bytes hash to {document_hash(data)}")
        return data

    def put_json(self, document: Any) -> str:
        return self.put(canonical_json(document))

    def get_json(self, digest: str) -> Any:
        return json.loads(self.get(digest))
