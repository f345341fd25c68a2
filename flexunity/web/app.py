"""The Starlette application behind ``flexunity serve``.

Routes (docs/web.md):

- ``GET /manifest.json``: the deployment manifest, its exact bytes;
- ``GET /documents``: ``{"documents": [{"hash", "kind", "round", "bytes"}]}``, the published documents;
- ``GET /documents/0x<64 hex>``: a document's exact stored bytes (404 if absent, 400 if malformed).

Every error is JSON ``{"error": reason}`` with a 4xx status. Nothing can be written through these
routes; documents are immutable, so they are served with a year-long ``immutable`` cache header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flexunity.web.documents import BadDigest, DocumentShelf

JSON = "application/json"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class ServeSettings:
    manifest_path: Path
    store_dir: Path


def create_app(settings: ServeSettings) -> Starlette:
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

    routes = [
        Route("/manifest.json", manifest, methods=["GET", "HEAD"]),
        Route("/documents", documents, methods=["GET", "HEAD"]),
        Route("/documents/{digest:path}", document, methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


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
