"""A stand-in for ``flexunity serve`` in tests: a folder store served by the agreed routes.

``GET /manifest.json``, ``GET /documents`` (index) and ``GET /documents/0x<64 hex>`` (the stored bytes;
404 absent, 400 malformed), with the standard library's http.server on a free loopback port. A
``tamper`` map replaces a document's bytes, to show that a client refuses what a server alters.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HASH = re.compile(r"^/documents/(0x[0-9a-f]{64})$")


@contextmanager
def serve_folder(manifest: Path | None, store: Path, tamper: dict[str, bytes] | None = None) -> Iterator[str]:
    """Serve ``store`` (and ``manifest``) until the block ends; yields the base URL."""
    altered = dict(tamper or {})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/manifest.json" and manifest is not None:
                return self._send(200, manifest.read_bytes())
            if self.path == "/documents":
                docs = [
                    {"hash": p.stem, "kind": "unknown", "round": None, "bytes": p.stat().st_size}
                    for p in sorted(store.glob("0x*.json"))
                ]
                return self._send(200, json.dumps({"documents": docs}).encode())
            found = HASH.match(self.path)
            if self.path.startswith("/documents/") and not found:
                return self._send(400, b'{"error": "malformed hash"}')
            if found:
                digest = found.group(1)
                if digest in altered:
                    return self._send(200, altered[digest])
                path = store / f"{digest}.json"
                if path.exists():
                    return self._send(200, path.read_bytes())
            return self._send(404, b'{"error": "not found"}')

        def _send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
