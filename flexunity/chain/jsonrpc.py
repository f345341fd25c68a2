"""JSON-RPC batches: whether the provider takes them (HTTP), one batch request retried, hex integers."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from flexunity.chain.retry import Reporter, retrying
from flexunity.errors import ChainError


def is_http(w3: Web3) -> bool:
    """Whether the provider speaks JSON-RPC over HTTP (and so takes batches)."""
    return hasattr(w3.provider, "endpoint_uri")


def batch_request(
    w3: Web3, requests_: list[tuple[str, list[Any]]], *, what: str, report: Reporter = lambda _: None
) -> list[dict[str, Any]]:
    """One JSON-RPC batch (``provider.make_batch_request``), retried; the responses in request order."""
    provider: Any = w3.provider

    def call() -> Any:
        return provider.make_batch_request(requests_)

    responses = retrying(call, what=what, report=report)
    if not isinstance(responses, list):
        raise ChainError(f"{what}: the node refused the batch: {responses.get('error')}")
    return responses


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)
