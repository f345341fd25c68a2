"""The order payload codec and the round configuration document."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexunity.errors import InputError
from flexunity.record.orders import (
    MAGIC,
    decode_payload,
    encode_order,
    order_document,
    round_config,
    scenario_from_orders,
)

PEER = {
    "id": "home-01",
    "kind": "home",
    "tariff": "std",
    "load_kw": [0.5, 1.0, 0.25, 2.0],
    "pv_kw": 0.0,
    "delta_imp": 1.2,
    "batteries": [{"capacity_kwh": 5, "charge_kw": 2.5, "discharge_kw": 2.5}],
    "metadata": {"low_income": True},
}
SCENARIO = {
    "format": "flexunity-scenario/1",
    "name": "x",
    "start": "2026-06-01T00:00:00+01:00",
    "timezone": "Europe/London",
    "interval_minutes": 30,
    "intervals": 4,
    "currency": "GBP",
    "units": {"power": "kW", "price": "GBP/kWh"},
    "tariffs": {"std": {"import_price": 0.3, "export_price": 0.05}},
    "grid": {"connected": True},
    "community": {"fee_per_kwh": 0.01, "pricing": "dual"},
    "peers": [PEER],
}


def test_order_carries_forecasts_in_wh_and_no_metadata() -> None:
    document = order_document(PEER, 4, 30)
    assert document["load_wh"] == [250, 500, 125, 1000]
    assert document["pv_wh"] == [0, 0, 0, 0]
    assert "metadata" not in document


def test_payload_round_trips() -> None:
    payload = encode_order(PEER, 4, 30)
    assert payload.startswith(MAGIC)
    assert decode_payload(payload, 4) == order_document(PEER, 4, 30)


@given(st.lists(st.floats(min_value=0, max_value=5000), min_size=48, max_size=48))
def test_wh_round_trip_is_exact_after_one_quantisation(load: list[float]) -> None:
    first = order_document({"id": "p", "tariff": "std", "load_kw": load}, 48, 30)
    peer = scenario_from_orders(
        round_config({**SCENARIO, "intervals": 48}, 1, token_decimals=6), [("0xab", first)]
    )["peers"][0]
    again = order_document({**peer, "id": "p"}, 48, 30)
    assert again["load_wh"] == first["load_wh"]


@pytest.mark.parametrize(
    "payload",
    [b"nope", MAGIC + b"not zlib", MAGIC + zlib.compress(b"[1]"), MAGIC + zlib.compress(b"\0" * (2 << 20))],
)
def test_bad_payloads_are_refused_with_a_reason(payload: bytes) -> None:
    with pytest.raises(InputError):
        decode_payload(payload, 4)


def test_wrong_interval_count_is_refused() -> None:
    with pytest.raises(InputError, match="4 non-negative integers"):
        decode_payload(encode_order({**PEER, "load_kw": [1.0] * 5, "pv_kw": [0.0] * 5}, 5, 30), 4)


def test_scenario_from_orders_names_peers_by_address() -> None:
    config = round_config(SCENARIO, 7, token_decimals=6)
    scenario = scenario_from_orders(config, [("0xABcd", order_document(PEER, 4, 30))])
    assert config["round"] == 7 and "peers" not in config
    assert scenario["peers"][0]["id"] == "0xabcd"
    assert scenario["peers"][0]["metadata"] == {"label": "home-01"}
    assert scenario["peers"][0]["load_kw"] == PEER["load_kw"]


def test_unknown_tariff_is_refused() -> None:
    config = round_config(SCENARIO, 1, token_decimals=6)
    with pytest.raises(InputError, match="unknown tariff"):
        scenario_from_orders(config, [("0xab", order_document({**PEER, "tariff": "gold"}, 4, 30))])
