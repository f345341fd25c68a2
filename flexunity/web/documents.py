"""The published documents of a store folder: which are public, what each is, and their exact bytes.

A store holds documents named by the keccak256 of their bytes (``<0xhash>.json``). Three kinds are
published: round configs, round results and revenue distributions, recognised by their ``format``
field. Anything else in the folder (the oracle's intermediate clearing files, temporary files) is
neither listed nor served. A file whose bytes no longer hash to its name is refused, never served.

Documents never change (their name is their hash), so what is learnt about a file is cached by its
name; the folder is listed again on each index request to see new rounds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from flexunity.record.store import document_hash

HASH_PATTERN = re.compile(r"^0x[0-9a-fA-F]{64}$")
KINDS = {
    "flexunity-round-config/1": "round-config",
    "flexunity-round-result/1": "result",
    "flexunity-revenue-distribution/2": "revenue",
}
KIND_ORDER = {"round-config": 0, "result": 1, "revenue": 2}
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # a sanity bound: a 10,000-peer result is about 60 MB


@dataclass(frozen=True)
class PublishedDocument:
    hash: str
    kind: str
    round: int | None
    bytes: int

    def to_dict(self) -> dict[str, object]:
        return {"hash": self.hash, "kind": self.kind, "round": self.round, "bytes": self.bytes}


class BadDigest(ValueError):
    """The requested name is not ``0x`` followed by 64 hexadecimal digits."""


class DocumentShelf:
    """The public view of a store folder: list and read its published documents."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._known: dict[str, PublishedDocument | None] = {}  # file name -> what it is (None: private)

    def index(self) -> list[PublishedDocument]:
        """Every published document, by round then kind then hash."""
        found = []
        if self.folder.is_dir():
            for path in self.folder.glob("0x*.json"):
                described = self._describe(path)
                if described is not None:
                    found.append(described)
        return sorted(
            found, key=lambda d: (d.round if d.round is not None else -1, KIND_ORDER[d.kind], d.hash)
        )

    def read(self, digest: str) -> bytes | None:
        """The exact stored bytes of a published document, or None if there is none by that hash.

        Raises ``BadDigest`` for a malformed name."""
        if not HASH_PATTERN.match(digest):
            raise BadDigest(f"a document is named 0x followed by 64 hexadecimal digits, not {digest[:80]!r}")
        path = self.folder / f"{digest.lower()}.json"
        if not path.is_file() or self._describe(path) is None:
            return None
        data = path.read_bytes()
        if document_hash(data) != digest.lower():  # changed on disk since it was described
            self._known.pop(path.name, None)
            return None
        return data

    def _describe(self, path: Path) -> PublishedDocument | None:
        if path.name in self._known:
            return self._known[path.name]
        digest = path.name.removesuffix(".json")
        described = None
        if HASH_PATTERN.match(digest) and path.stat().st_size <= MAX_DOCUMENT_BYTES:
            data = path.read_bytes()
            if document_hash(data) == digest.lower():
                described = _classify(digest.lower(), data)
        self._known[path.name] = described
        return described


def _classify(digest: str, data: bytes) -> PublishedDocument | None:
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("format") not in KINDS:
        return None
    round_id = document.get("round")
    return PublishedDocument(
        hash=digest,
        kind=KINDS[document["format"]],
        round=round_id if isinstance(round_id, int) else None,
        bytes=len(data),
    )
