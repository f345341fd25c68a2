"""What a peer's order carries and how a round's public parameters are published.

**Order payload** (the bytes a peer signs the keccak256 of, and that the contract emits in its order
event): the magic ``FXO1`` followed by the zlib-compressed canonical JSON of

    {"v": 1, "peer": id, "kind": label, "tariff": name,
     "load_wh": [T ints], "pv_wh": [T ints],          # energy forecasts per interval, Wh (conventions.md)
     "delta_imp": δ_imp, "delta_exp": δ_exp,
     "batteries": [...], "shiftable_loads": [...], "curtailable_loads": [...], "ev_chargers": [...],
     "cost_function": {...} | null}

Load and PV are integer Wh per interval (the on-chain energy unit); flexible assets keep the scenario
format's fields and units (kW, kWh, currency/kWh) since they are limits and costs, not energy flows.
Private metadata (annual use, income) never leaves the peer. Peers' scenario dicts are
``flexunity-scenario/1`` peers (docs/scenario-format.md) with profiles inline.

**Round configuration** (``flexunity-round-config/1``): the scenario minus its peers (start, time zone,
interval length and count, currency, tariffs, grid, community fee and pricing rule) plus the
settlement token's scale. It is stored in the document store and its hash is published on chain when
the round opens, so that peers and auditors know the rules before the gate closes.

The oracle clears the scenario rebuilt from the config and the decoded orders; it never sees the
original forecasts, so what it solves is exactly what the chain recorded.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from flexunity.chain.hashing import keccak_hex
from flexunity.errors import InputError
from flexunity.record.store import canonical_json
from flexunity.units import kw_to_wh, wh_to_kw

MAGIC = b"FXO1"
CONFIG_FORMAT = "flexunity-round-config/1"
MAX_PAYLOAD_BYTES = 1 << 20  # decompressed; a peer cannot make the oracle inflate a zip bomb
PEER_FIELDS = ("batteries", "shiftable_loads", "curtailable_loads", "ev_chargers")
ROUND_FIELDS = (
    "name",
    "start",
    "timezone",
    "interval_minutes",
    "intervals",
    "currency",
    "tariffs",
    "grid",
    "community",
)


@dataclass(frozen=True)
class AcceptedOrder:
    """One accepted order as rebuilt from the chain: who signed it and what it asked."""

    peer_address: str
    nonce: int
    payload: bytes
    deadline: int = 0
    order_hash: str = ""  # the EIP-712 struct hash the chain chained into the round's digest
    block: int = 0
    log_index: int = 0
    max_debit: int = 2**80 - 1  # the order's signed debit cap (contracts: Order.maxDebit; no cap by default)

    @property
    def is_cancellation(self) -> bool:
        return not self.payload

    def decode(self, intervals: int | None = None) -> dict[str, Any]:
        return decode_payload(self.payload, intervals)


def order_ref(order: AcceptedOrder) -> dict[str, Any]:
    """How a result document names an order: the peer, its nonce and the keccak256 of its payload."""
    return {
        "peer": order.peer_address.lower(),
        "nonce": order.nonce,
        "payload_hash": keccak_hex(order.payload),
    }


# --- profiles ---------------------------------------------------------------------------------


def _profile(value: Any, intervals: int, where: str) -> list[float]:
    if value is None:
        return [0.0] * intervals
    if isinstance(value, int | float):
        return [float(value)] * intervals
    if isinstance(value, list) and len(value) == intervals:
        return [float(v) for v in value]
    raise InputError(
        f"expected a number or {intervals} values inline (got {type(value).__name__})", where=where
    )


# --- order payloads ----------------------------------------------------------------------------


def order_document(peer: dict[str, Any], intervals: int, interval_minutes: int) -> dict[str, Any]:
    """The order a scenario peer sends: forecasts in Wh, assets as in the scenario, no metadata."""
    where = f"peer {peer.get('id')!r}"
    document: dict[str, Any] = {
        "v": 1,
        "peer": str(peer["id"]),
        "kind": str(peer.get("kind", "home")),
        "tariff": str(peer["tariff"]),
        "intervals": intervals,
        "interval_minutes": interval_minutes,
        "load_wh": kw_to_wh(_profile(peer.get("load_kw"), intervals, f"{where} load_kw"), interval_minutes),
        "pv_wh": kw_to_wh(_profile(peer.get("pv_kw"), intervals, f"{where} pv_kw"), interval_minutes),
        "delta_imp": float(peer.get("delta_imp", 1.0)),
        "delta_exp": float(peer.get("delta_exp", 1.0)),
        "cost_function": peer.get("cost_function"),
    }
    for name in PEER_FIELDS:
        document[name] = list(peer.get(name, []))
    return document


def encode_payload(document: dict[str, Any]) -> bytes:
    return MAGIC + zlib.compress(canonical_json(document), 9)


def encode_order(peer: dict[str, Any], intervals: int, interval_minutes: int) -> bytes:
    return encode_payload(order_document(peer, intervals, interval_minutes))


def decode_payload(payload: bytes, intervals: int | None = None) -> dict[str, Any]:
    """The order document inside ``payload``; an InputError says what is wrong with it."""
    if not payload.startswith(MAGIC):
        raise InputError(f"order payload does not start with {MAGIC!r}")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(payload[len(MAGIC) :], MAX_PAYLOAD_BYTES)
        if inflater.unconsumed_tail:
            raise InputError(f"order payload inflates beyond {MAX_PAYLOAD_BYTES} bytes")
        document = json.loads(raw)
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"order payload is not compressed JSON: {exc}") from None
    _check_document(document, intervals)
    return dict(document)


def _check_document(document: Any, intervals: int | None) -> None:
    if not isinstance(document, dict) or document.get("v") != 1:
        raise InputError("order payload is not a version-1 order document")
    for key in ("peer", "tariff", "load_wh", "pv_wh", "interval_minutes"):
        if key not in document:
            raise InputError(f"order payload lacks {key!r}")
    size = intervals if intervals is not None else len(document["load_wh"])
    for key in ("load_wh", "pv_wh"):
        values = document[key]
        if (
            not isinstance(values, list)
            or len(values) != size
            or not all(isinstance(v, int) and v >= 0 for v in values)
        ):
            raise InputError(
                f"order of {document['peer']!r}: {key} must be {size} non-negative integers (Wh)"
            )


def peer_from_order(document: dict[str, Any], peer_id: str | None = None) -> dict[str, Any]:
    """The scenario-format peer an order document describes (profiles back in kW)."""
    minutes = int(document["interval_minutes"])
    peer: dict[str, Any] = {
        "id": peer_id or str(document["peer"]),
        "kind": str(document.get("kind", "home")),
        "tariff": str(document["tariff"]),
        "load_kw": wh_to_kw(document["load_wh"], minutes),
        "delta_imp": float(document.get("delta_imp", 1.0)),
        "delta_exp": float(document.get("delta_exp", 1.0)),
    }
    if any(document["pv_wh"]):
        peer["pv_kw"] = wh_to_kw(document["pv_wh"], minutes)
    for name in PEER_FIELDS:
        if document.get(name):
            peer[name] = list(document[name])
    if document.get("cost_function") is not None:
        peer["cost_function"] = document["cost_function"]
    return peer


# --- round configuration ---------------------------------------------------------------------


def round_config(
    scenario: dict[str, Any], round_id: int, *, token_decimals: int, token_symbol: str = ""
) -> dict[str, Any]:
    """The public parameters of a round, taken from a scenario dict (its peers left out)."""
    units = scenario.get("units") or {}
    if units.get("power", "kW") != "kW":
        raise InputError(f"round configs need power in kW (the scenario says {units.get('power')!r})")
    config = {key: scenario[key] for key in ROUND_FIELDS if key in scenario}
    config.update(
        {
            "format": CONFIG_FORMAT,
            "round": round_id,
            "units": {"power": "kW", "price": units.get("price", f"{scenario.get('currency', 'GBP')}/kWh")},
            "settlement": {
                "token_decimals": token_decimals,
                "token_symbol": token_symbol,
                "base_units_per_currency": 10**token_decimals,
                "rounding": "largest remainder, ties by peer address (docs/oracle.md)",
            },
        }
    )
    return config


def schedule_problems(
    config: dict[str, Any], round_id: int, interval_count: int, interval_seconds: int
) -> list[str]:
    """How a round config disagrees with the round the chain opened (its id and schedule); empty if not."""
    problems = []
    if config.get("round") != round_id:
        problems.append(f"the config is for round {config.get('round')}")
    intervals, minutes = config.get("intervals"), config.get("interval_minutes")
    if not isinstance(intervals, int) or not isinstance(minutes, int):
        problems.append(f"the config has no whole intervals × interval_minutes ({intervals!r} × {minutes!r})")
    elif intervals != interval_count or minutes * 60 != interval_seconds:
        problems.append(
            f"config has {intervals} × {minutes} min, "
            f"the chain {interval_count} × {interval_seconds // 60} min"
        )
    return problems


def order_problems(document: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Why an order document does not fit a round config (the oracle rejects such an order); empty if
    it fits: its interval count and length, and its tariff, must be the round's."""
    problems = []
    intervals, minutes = config.get("intervals"), config.get("interval_minutes")
    if len(document.get("load_wh", [])) != intervals or document.get("interval_minutes") != minutes:
        problems.append(
            f"the order has {len(document.get('load_wh', []))} × {document.get('interval_minutes')} min "
            f"intervals, the round {intervals} × {minutes} min"
        )
    tariffs = sorted(config.get("tariffs", {}))
    if document.get("tariff") not in tariffs:
        problems.append(f"the order's tariff {document.get('tariff')!r} is not one of the round's {tariffs}")
    return problems


def check_config(config: dict[str, Any]) -> None:
    if config.get("format") != CONFIG_FORMAT:
        raise InputError(f"not a {CONFIG_FORMAT} document (format: {config.get('format')!r})")


def scenario_from_orders(
    config: dict[str, Any], documents: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """A ``flexunity-scenario/1`` dict from the round config and (peer address, order document) pairs.

    Peers are identified by their address in the cleared scenario, so that two peers cannot collide
    on a self-chosen id; the order's own id is kept as ``metadata.label``.
    """
    check_config(config)
    peers = []
    for address, document in documents:
        if document["interval_minutes"] != config["interval_minutes"]:
            raise InputError(f"order of {address} is for {document['interval_minutes']}-minute intervals")
        if document["tariff"] not in config["tariffs"]:
            raise InputError(f"order of {address} names an unknown tariff {document['tariff']!r}")
        peer = peer_from_order(document, peer_id=address.lower())
        peer["metadata"] = {"label": document["peer"]}
        peers.append(peer)
    scenario = {key: config[key] for key in ROUND_FIELDS if key in config}
    scenario.update({"format": "flexunity-scenario/1", "units": config.get("units"), "peers": peers})
    return scenario
