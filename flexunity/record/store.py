"""A content-addressed document store: a document's name is the keccak256 of its bytes.

The round configuration and the result documents live here; their hashes go on chain, so anyone
holding a copy can prove it is the one the chain refers to. The default store is a folder
(``FolderStore``); ``HttpStore`` reads the same documents from ``flexunity serve`` (routes
``/documents/0x<hash>`` and the ``/documents`` index) and verifies every fetched document's keccak256
against the hash asked for, so the server need not be trusted. ``open_store`` picks one from a folder
path or an ``http(s)://`` URL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from flexunity.chain.fetch import HTTP_TIMEOUT_S, fetch_url, is_url
from flexunity.chain.hashing import keccak_hex
from flexunity.errors import InputError

DEFAULT_STORE_NAME = "store"  # the default store: this folder beside the manifest


def canonical_json(document: Any) -> bytes:
    """The one byte encoding of a document: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def document_hash(data: bytes) -> str:
    """``0x`` + keccak256 of the bytes, as the contracts compute it."""
    return keccak_hex(data)


class DocumentSource(Protocol):
    """What a reader needs: documents by hash, each verified against it (FolderStore, HttpStore)."""

    def get(self, digest: str) -> bytes: ...
    def get_json(self, digest: str) -> Any: ...
    def location(self, digest: str) -> str: ...


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


class HttpStore:
    """Documents read over HTTP from ``flexunity serve`` (read-only), each checked against its hash.

    ``base_url`` is the server's root (``http://cm.example:8000``); a document is
    ``GET <base>/documents/0x<hash>``. A missing document is an InputError like the folder's; a server
    that cannot be reached is a ChainError (exit code 4); bytes that do not hash to the name asked
    for are refused ("was altered"), so a wrong or malicious server cannot make a reader accept them.
    """

    def __init__(self, base_url: str, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def location(self, digest: str) -> str:
        return f"{self.base_url}/documents/{digest.lower()}"

    def put(self, data: bytes) -> str:
        raise InputError(f"{self.base_url} is read-only: documents are published by the CM's store")

    def get(self, digest: str) -> bytes:
        data = fetch_url(
            self.location(digest), self.timeout, missing=f"document {digest} is not in the store"
        )
        if document_hash(data) != digest.lower():
            raise InputError(
                f"document {digest} was altered: its bytes hash to {document_hash(data)}",
                where=self.base_url,
            )
        return data

    def get_json(self, digest: str) -> Any:
        return json.loads(self.get(digest))

    def index(self) -> list[dict[str, Any]]:
        """The server's ``/documents`` index: ``{hash, kind, round, bytes}`` per document."""
        data = fetch_url(f"{self.base_url}/documents", self.timeout, missing="the server has no index")
        try:
            return list(json.loads(data)["documents"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a document index: {exc}", where=f"{self.base_url}/documents") from None


def default_store(manifest: str | Path) -> str | Path:
    """The one default store: the folder ``store`` beside the manifest; for a manifest fetched from
    ``flexunity serve`` (``http://host/manifest.json``), that server."""
    if is_url(manifest):
        return str(manifest).rsplit("/", 1)[0]
    return Path(manifest).parent / DEFAULT_STORE_NAME


def open_store(spec: str | Path) -> FolderStore | HttpStore:
    """A folder store, or an HTTP store when ``spec`` is an ``http(s)://`` URL."""
    return HttpStore(str(spec)) if is_url(spec) else FolderStore(spec)
