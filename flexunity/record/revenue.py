"""The revenue distribution document (``flexunity-revenue-distribution/2``), shared by oracle and audit.

How the sharing inputs and options are published as JSON, and how the document's on-chain shares
become ``RevenueLeaf`` leaves. Formats only: the shares themselves are computed by the oracle
(flexunity.oracle.revenue) and re-derived by the audit with its own code (flexunity.audit.derive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from flexunity.allocation.game import AdditiveThresholdGame
from flexunity.allocation.rules import RuleOptions, SharingInputs
from flexunity.chain.hashing import checksum_address
from flexunity.chain.settlement import RevenueLeaf, revenue_leaves
from flexunity.errors import InputError

FORMAT = "flexunity-revenue-distribution/2"


def inputs_to_dict(inputs: SharingInputs) -> dict[str, Any]:
    """The rules' inputs as published: peers, contributions, renewable kWh, metadata, the game."""
    game = inputs.game
    game_doc: dict[str, Any] | None = None
    if isinstance(game, AdditiveThresholdGame):
        game_doc = {"kind": "additive-threshold", "threshold": game.threshold, "price": game.price}
    elif game is not None:
        raise InputError(f"cannot publish a game of type {type(game).__name__}")
    return {
        "peers": list(inputs.peers),
        "contributions": {p: float(inputs.contributions[p]) for p in inputs.peers},
        "renewable_kwh": {p: float(inputs.renewable_kwh.get(p, 0.0)) for p in inputs.peers},
        "metadata": {p: dict(inputs.metadata.get(p, {})) for p in inputs.peers},
        "game": game_doc,
    }


def inputs_from_dict(data: Mapping[str, Any]) -> SharingInputs:
    """Inverse of :func:`inputs_to_dict` (the game's amounts are the contributions)."""
    peers = tuple(str(p) for p in data["peers"])
    contributions = {p: float(data["contributions"][p]) for p in peers}
    game = None
    spec = data.get("game")
    if spec is not None:
        if spec.get("kind") != "additive-threshold":
            raise InputError(f"unknown game kind {spec.get('kind')!r}")
        amounts = [contributions[p] for p in peers]
        game = AdditiveThresholdGame(peers, amounts, float(spec["threshold"]), float(spec["price"]))
    return SharingInputs(
        peers=peers,
        contributions=contributions,
        renewable_kwh={p: float(data.get("renewable_kwh", {}).get(p, 0.0)) for p in peers},
        metadata={p: dict(data.get("metadata", {}).get(p, {})) for p in peers},
        game=game,
    )


def options_to_dict(options: RuleOptions) -> dict[str, Any]:
    return {k: v for k, v in asdict(options).items() if k != "check_core"}


def options_from_dict(data: Mapping[str, Any]) -> RuleOptions:
    return RuleOptions(**{**dict(data), "check_core": False})


def leaves_of(document: Mapping[str, Any]) -> list[RevenueLeaf]:
    """The document's on-chain shares as leaves: accounts in address order, index 0..n-1."""
    shares = {str(a).lower(): int(v) for a, v in document["shares"].items()}
    ordered: dict[str, int] = {checksum_address(a): shares[a] for a in sorted(shares)}
    return revenue_leaves(int(document["distribution_id"]), ordered)
