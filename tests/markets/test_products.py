"""Products: presets carry the GB facts; windows follow local time; bad products are refused."""

from __future__ import annotations

import pytest

from flexunity.errors import InputError
from flexunity.markets.products import BalancingProduct, get_product, load_products


def test_presets_hold_the_referenced_facts() -> None:
    products = load_products()
    assert set(products) >= {"GB-DTU", "GB-STOR", "IB-SIM"}
    dtu, stor = products["GB-DTU"], products["GB-STOR"]
    assert (dtu.direction, dtu.min_offer_kw, dtu.min_site_kw, dtu.utilisation_price_per_mwh) == (
        "down",
        1000,
        100,
        61.41,
    )
    assert (stor.direction, stor.min_offer_kw, stor.duration_minutes) == ("up", 3000, 120)
    assert get_product("gb-dtu") is not None


def test_windows_wrap_midnight_in_local_time() -> None:
    product = BalancingProduct("night", "down", 1, windows=(("23:00", "08:00"),))
    # 2026-07-01 21:00 UTC is 22:00 BST; hourly intervals 22:00, 23:00, ..., 09:00 local
    mask = product.in_window("2026-07-01T21:00:00+00:00", "Europe/London", 60, 12)
    assert mask.tolist() == [False] + [True] * 9 + [False, False]


def test_block_and_notice_intervals_round_up() -> None:
    product = BalancingProduct("p", "up", 1, notice_minutes=420, duration_minutes=100)
    assert product.block_intervals(30) == 4
    assert product.notice_intervals(60) == 7


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "sideways"},
        {"min_offer_kw": -1},
        {"duration_minutes": 0},
        {"windows": (("25:00", "01:00"),)},
    ],
)
def test_invalid_products_are_input_errors(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"name": "bad", "direction": "up", "min_offer_kw": 1}
    with pytest.raises(InputError):
        BalancingProduct(**{**base, **kwargs})  # type: ignore[arg-type]


def test_unknown_product_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="GB-DTU"):
        get_product("DC")
