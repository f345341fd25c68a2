"""The Starlette application behind ``flexunity serve`` (docs/web.md).

Read-only document routes (always):

- ``GET /manifest.json``: the deployment manifest, its exact bytes;
- ``GET /documents``: ``{"documents": [{"hash", "kind", "round", "bytes"}]}``, the published documents;
- ``GET /documents/0x<64 hex>``: a document's exact stored bytes (404 if absent, 400 if malformed).

With a node to read (``rpc_url``), the pages (``/peer``, ``/cm``, ``/audit``), their JSON (``/api/...``)
and, with the CM's key, the order inbox (``POST /inbox/orders``): ``flexunity/web/routes.py``.
Every error is JSON ``{"error": reason}`` with a 4xx status.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from flexunity.web.documents import BadDigest, DocumentShelf

JSON = "application/json"
IMMUTABLE = "public, max-age=31536000, immutable"
HERE = Path(__file__).parent


@dataclass(frozen=True)
class ServeSettings:
    manifest_path: Path
    store_dir: Path
    rpc_url: str | None = None  # None: documents only (no pages, no inbox)
    cm_account: Any = None  # the CM's LocalAccount: the inbox relays with it (None: no inbox)
    relay_every: float = 5.0  # seconds between relayed batches
    pages: bool = True


def create_app(settings: ServeSettings, *, w3: Any = None) -> Starlette:
    shelf = DocumentShelf(settings.store_dir)

    async def manifest(request: Request) -> Response:
        try:
            data = settings.manifest_path.read_bytes()
        except OSError:
            return error(404, f"the manifest {settings.manifest_path.name} is not there any more")
        return Response(data, media_type=JSON, headers={"Cache-Control": "no-cache"})

    async def documents(request: Request) -> Response:
        listed = [d.to_dict() for d in shelf.index()]
        return JSONResponse({"documents": listed}, headers={"Cache-Control": "no-cache"})

    async def document(request: Request) -> Response:
        digest = request.path_params["digest"]
        try:
            data = shelf.read(digest)
        except BadDigest as exc:
            return error(400, str(exc))
        if data is None:
            return error(404, f"no published document {digest.lower()}")
        return Response(
            data, media_type=JSON, headers={"Cache-Control": IMMUTABLE, "ETag": f'"{digest.lower()}"'}
        )

    routes: list[Any] = [
        Route("/manifest.json", manifest, methods=["GET", "HEAD"]),
        Route("/documents", documents, methods=["GET", "HEAD"]),
        Route("/documents/{digest:path}", document, methods=["GET", "HEAD"]),
    ]
    lifespan, site = None, None
    if settings.pages and (settings.rpc_url or w3 is not None):
        from flexunity.web.routes import Site

        site = Site(settings, shelf, w3=w3)
        routes += [*site.routes(), Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
        lifespan = _relaying(site, settings.relay_every)
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    app.state.site = site  # the pages' Site (None for documents only)
    return app


def _relaying(site: Any, every: float) -> Any:
    """A lifespan that relays the inbox's pending orders every ``every`` seconds while serving."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_relay_loop(site, every)) if site.inbox_enabled else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


async def _relay_loop(site: Any, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):  # a failed batch is recorded on its orders; keep relaying
            await asyncio.to_thread(site.relay_now)


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 as JSON with a reason, like every other error."""
    assert isinstance(exc, HTTPException)
    reasons = {
        404: f"no such page {request.url.path[:200]!r} (see /documents)",
        405: f"{request.method} is not allowed here: this server is read-only",
    }
    headers = dict(exc.headers or {})
    return JSONResponse(
        {"error": reasons.get(exc.status_code, str(exc.detail))}, status_code=exc.status_code, headers=headers
    )
