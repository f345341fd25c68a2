"""The pages and their JSON: peer (``/peer``), community manager (``/cm``), auditor (``/audit``), inbox.

Endpoints are plain functions, so Starlette runs them in its thread pool and web3's blocking reads do
not stall the server. Errors are JSON ``{"error": reason}`` with a 4xx status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from flexunity.chain.addresses import checksum, reader_account
from flexunity.chain.manifest import load_manifest
from flexunity.errors import UserError
from flexunity.oracle.chainio import OracleChain
from flexunity.record.store import FolderStore
from flexunity.web import cmview, drafts
from flexunity.web.chainview import ChainView
from flexunity.web.documents import DocumentShelf
from flexunity.web.inbox import Inbox, RateLimit, Refused

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_DRAFT_BODY = 2_100_000  # a load CSV of up to a year of 15-minute rows
DRAFTS_PER_MINUTE = 60


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


class Site:
    """One deployment's pages, JSON and inbox."""

    def __init__(self, settings: Any, shelf: DocumentShelf, *, w3: Any = None) -> None:
        from flexunity.chain.node import connect

        self.settings = settings
        self.manifest = load_manifest(settings.manifest_path)
        self.w3 = w3 if w3 is not None else connect(settings.rpc_url, self.manifest, lambda _: None)
        self.store = FolderStore(settings.store_dir)
        account = settings.cm_account or reader_account()  # a reader's throwaway key signs nothing
        self.chain = OracleChain.from_manifest(self.w3, self.manifest, account, store=self.store)
        self.view = ChainView(self.chain, self.store, shelf)
        self.inbox = Inbox(self.chain, self.store, can_relay=settings.cm_account is not None)
        self.audits = cmview.AuditCache()
        self.draft_rate = RateLimit(DRAFTS_PER_MINUTE)

    @property
    def inbox_enabled(self) -> bool:
        return self.inbox.can_relay

    def relay_now(self) -> None:
        self.inbox.relay_pending()

    def routes(self) -> list[Route]:
        return [
            Route("/", self.index),
            Route("/peer", self.peer_page),
            Route("/cm", self.cm_page),
            Route("/cm/audit", self.cm_audit, methods=["POST"]),
            Route("/cm/plot/{round:int}.png", self.cm_plot),
            Route("/audit", self.audit_page),
            Route("/api/deployment", self.api_deployment),
            Route("/api/rounds", self.api_rounds),
            Route("/api/rounds/{round:int}/presets", self.api_presets),
            Route("/api/rounds/{round:int}/draft", self.api_draft, methods=["POST"]),
            Route("/api/rounds/{round:int}/peers/{address}", self.api_peer_round),
            Route("/api/revenue/{address}", self.api_revenue),
            Route("/api/inbox", self.api_inbox),
            Route("/inbox/orders", self.post_order, methods=["POST"]),
        ]

    # --- pages ----------------------------------------------------------------------------------

    def _page(self, request: Request, name: str, **context: Any) -> HTMLResponse:
        base = {"chain_id": self.manifest.chain_id, "network": self.manifest.network}
        return TEMPLATES.TemplateResponse(request, name, {**base, **context})

    def index(self, request: Request) -> Response:
        return self._page(request, "index.html", inbox=self.inbox_enabled)

    def peer_page(self, request: Request) -> Response:
        return self._page(request, "peer.html", inbox=self.inbox_enabled)

    def cm_page(self, request: Request) -> Response:
        return self._page(request, "cm.html", **cmview.cm_context(self))

    def cm_audit(self, request: Request) -> Response:
        self.audits.run(self)
        return Response(status_code=303, headers={"Location": "/cm#audit"})

    def cm_plot(self, request: Request) -> Response:
        png = cmview.day_plot(self, int(request.path_params["round"]))
        if png is None:
            return error(404, "no plot for this round (no posted result)")
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=60"})

    def audit_page(self, request: Request) -> Response:
        from flexunity.web import auditview

        manifest_url = request.query_params.get("manifest", "").strip()
        rpc_url = request.query_params.get("rpc", "").strip()
        context = auditview.audit_context(manifest_url, rpc_url) if manifest_url else {}
        return self._page(request, "audit.html", manifest_url=manifest_url, rpc_url=rpc_url, **context)

    # --- JSON -----------------------------------------------------------------------------------

    def api_deployment(self, request: Request) -> Response:
        return JSONResponse({**self.view.deployment(), "inbox": self.inbox_enabled})

    def api_rounds(self, request: Request) -> Response:
        return JSONResponse({"now": self.view.now(), "rounds": self.view.rounds()})

    def _config(self, round_id: int) -> dict[str, Any]:
        info = self.chain.clients.rounds.round(round_id)
        return dict(self.store.get_json("0x" + info.config_hash.hex()))

    def api_presets(self, request: Request) -> Response:
        try:
            return JSONResponse({"presets": drafts.presets(self._config(request.path_params["round"]))})
        except UserError as exc:
            return error(404, str(exc))

    async def api_draft(self, request: Request) -> Response:
        if not self.draft_rate.allow(request.client.host if request.client else "unknown"):
            return error(
                429, f"more than {DRAFTS_PER_MINUTE} drafts a minute from your address; wait a minute"
            )
        body = await request.body()
        if len(body) > MAX_DRAFT_BODY:
            return error(413, "a draft request is small JSON")
        try:
            data = json.loads(body)
            address = _address(str(data["address"]))
            daily = float(data["dailyKwh"]) if data.get("dailyKwh") not in (None, "") else None
            pv = float(data["pvKwp"]) if data.get("pvKwp") not in (None, "") else None
            preset = str(data.get("preset", "0"))
            load_csv = str(data["loadCsv"]) if data.get("loadCsv") else None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            return error(400, f"a draft needs address, preset and optional dailyKwh, pvKwp ({exc})")
        from starlette.concurrency import run_in_threadpool

        try:
            return JSONResponse(await run_in_threadpool(self._draft, request.path_params["round"], address,
                                                        preset, daily, pv, load_csv))  # fmt: skip
        except UserError as exc:
            return error(422, str(exc))

    def _draft(
        self,
        round_id: int,
        address: str,
        preset: str,
        daily: float | None,
        pv: float | None,
        load_csv: str | None,
    ) -> Any:
        rounds = self.chain.clients.rounds
        info = rounds.round(round_id)
        config = self._config(round_id)
        payload, summary = drafts.draft_payload(config, preset, daily_kwh=daily, pv_kwp=pv, load_csv=load_csv)
        nonce = rounds.nonce_of(address) + 1
        typed = self.chain.order_typed_data(address, round_id, nonce, info.gate_closure, payload)
        return {"typedData": typed, "payload": "0x" + payload.hex(), "summary": summary}

    def api_peer_round(self, request: Request) -> Response:
        try:
            address = _address(request.path_params["address"])
            return JSONResponse(self.view.peer_round(request.path_params["round"], address))
        except ValueError as exc:
            return error(400, str(exc))
        except UserError as exc:
            return error(404, str(exc))

    def api_revenue(self, request: Request) -> Response:
        try:
            return JSONResponse(
                {"shares": self.view.revenue_shares(_address(request.path_params["address"]))}
            )
        except ValueError as exc:
            return error(400, str(exc))

    def api_inbox(self, request: Request) -> Response:
        q = request.query_params
        try:
            round_id = int(q["round"]) if q.get("round") else None
            peer = _address(q["peer"]) if q.get("peer") else None
        except ValueError as exc:
            return error(400, str(exc))
        return JSONResponse({"orders": [e.to_dict() for e in self.inbox.entries(round_id, peer)]})

    async def post_order(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        length = int(request.headers.get("content-length") or 0)
        if length > 64 * 1024:
            return error(413, f"the request has {length} bytes; an order is at most 65536")
        body = await request.body()
        client = request.client.host if request.client else "unknown"
        try:
            entry = await run_in_threadpool(self.inbox.submit, body, client)
        except Refused as refused:
            return error(refused.status, str(refused))
        except UserError as exc:
            return error(422, str(exc))
        return JSONResponse({"accepted": entry.to_dict()}, status_code=202)


def _address(text: str) -> str:
    return checksum(text)
