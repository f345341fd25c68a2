"""The bytes of an order's payload: what a peer asks for in a round, interval by interval.

The order signed on chain carries only ``payloadHash = keccak256(payload)``; the payload itself is
emitted in the ``OrderAccepted`` event, so the oracle rebuilds the optimisation from events alone.
Packed big-endian integers keep calldata and log data small (about 100 gas per value against about
420 for ABI encoding). Layout, version 1 (docs/contracts.md):

header (27 bytes): uint8 version=1 · uint16 intervals · uint32 δ_imp (ppm) · uint32 δ_exp (ppm) ·
  uint32 battery capacity Wh · uint32 battery initial state Wh · uint32 battery max charge Wh per
  interval · uint32 battery max discharge Wh per interval
then per interval (32 bytes): uint32 load Wh · uint32 PV Wh · uint32 flexible-load decrease bound Wh ·
  uint32 flexible-load increase bound Wh · uint64 buy limit price · uint64 sell limit price
  (prices in token base units per kWh).

An empty payload cancels the peer's order for the round.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from eth_utils import keccak

VERSION = 1
_HEADER = struct.Struct(">BHIIIIII")
_INTERVAL = struct.Struct(">IIIIQQ")


class PayloadError(ValueError):
    """The payload bytes are not a valid version-1 order payload."""


@dataclass(frozen=True)
class IntervalBid:
    """One interval of an order (integers, chain units)."""

    load_wh: int
    pv_wh: int
    flex_down_wh: int = 0
    flex_up_wh: int = 0
    buy_limit: int = 0  # base units per kWh; 0: no limit set
    sell_limit: int = 0


@dataclass(frozen=True)
class OrderPayload:
    """A peer's order for a round: per-interval bids, import/export preferences and a battery."""

    intervals: tuple[IntervalBid, ...]
    delta_imp_ppm: int = 1_000_000
    delta_exp_ppm: int = 1_000_000
    battery_capacity_wh: int = 0
    battery_initial_wh: int = 0
    battery_charge_max_wh: int = 0
    battery_discharge_max_wh: int = 0

    def encode(self) -> bytes:
        try:
            head = _HEADER.pack(
                VERSION, len(self.intervals), self.delta_imp_ppm, self.delta_exp_ppm,
                self.battery_capacity_wh, self.battery_initial_wh,
                self.battery_charge_max_wh, self.battery_discharge_max_wh,
            )  # fmt: skip
            body = b"".join(
                _INTERVAL.pack(b.load_wh, b.pv_wh, b.flex_down_wh, b.flex_up_wh, b.buy_limit, b.sell_limit)
                for b in self.intervals
            )
        except struct.error as exc:
            raise PayloadError(f"a value does not fit its field (all are unsigned integers): {exc}") from None
        return head + body

    def hash(self) -> bytes:
        return keccak(self.encode())


def decode_payload(data: bytes) -> OrderPayload | None:
    """The payload of ``data``; None for an empty payload (a cancellation)."""
    if not data:
        return None
    if len(data) < _HEADER.size:
        raise PayloadError(f"payload of {len(data)} bytes is shorter than its {_HEADER.size}-byte header")
    version, count, d_imp, d_exp, cap, initial, charge, discharge = _HEADER.unpack_from(data)
    if version != VERSION:
        raise PayloadError(f"payload version {version} is not supported (expected {VERSION})")
    expected = _HEADER.size + count * _INTERVAL.size
    if len(data) != expected:
        raise PayloadError(f"payload has {len(data)} bytes; {count} intervals need {expected}")
    bids = tuple(
        IntervalBid(*_INTERVAL.unpack_from(data, _HEADER.size + i * _INTERVAL.size)) for i in range(count)
    )
    return OrderPayload(bids, d_imp, d_exp, cap, initial, charge, discharge)
