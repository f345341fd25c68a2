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


def test_new_products_state_their_rules_and_assumptions() -> None:
    products = load_products()
    for name in ("GB-DC-L", "GB-DC-H"):
        dc = products[name]
        assert dc.auction == "pay-as-clear" and dc.duration_minutes == 240
        assert dc.block_starts == ("23:00", "03:00", "07:00", "11:00", "15:00", "19:00")
        assert dc.availability_price_per_mw_h == 5.0  # REFERENCES.md's 2023 level, stated as assumed
        assert any("REFERENCES.md" in s for s in dc.sources) and dc.assumptions
    assert products["GB-STOR"].auction == "pay-as-clear"
    assert products["GB-DTU"].availability_price_per_mw_h > 0
    assert any("availability" in a for a in products["GB-DTU"].assumptions)
    ren = products["PT-REN-RR"]
    assert (ren.tso, ren.currency, ren.min_offer_kw) == ("REN", "EUR", 1000)
    assert any("4.2.2" in s for s in ren.sources)
    with pytest.raises(InputError, match="auction"):
        BalancingProduct("x", "up", 1, auction="dutch")


def test_efa_blocks_start_on_their_boundaries_in_local_time() -> None:
    import numpy as np

    from flexunity.markets.flexibility import Flexibility
    from flexunity.markets.offers import make_offer

    dc = get_product("GB-DC-H")
    start, zone = "2026-06-30T23:00:00+00:00", "Europe/London"  # 00:00 BST, half-hours
    mask = dc.block_start_mask(start, zone, 30, 48)
    assert mask is not None and np.flatnonzero(mask).tolist() == [6, 14, 22, 30, 38, 46]  # 03:00, ...
    flex = Flexibility(("plant",), 30, np.zeros((1, 48)), np.full((1, 48), 1500.0))
    offer = make_offer(dc, flex, dc.in_window(start, zone, 30, 48), block_start=mask)
    assert [b.start for b in offer.blocks] == [6, 14, 22, 30, 38]  # 03-07, ..., 19-23
    assert any("intervals 0-5" in r and "shorter than the 240-minute" in r for r in offer.reasons)
    assert any("intervals 46-47" in r for r in offer.reasons)


def test_overnight_dtu_leftover_carries_its_reason() -> None:
    import numpy as np

    from flexunity.markets.flexibility import Flexibility
    from flexunity.markets.offers import make_offer

    dtu = get_product("GB-DTU")
    start, zone = "2026-06-30T23:00:00+00:00", "Europe/London"  # a one-day round from 00:00 BST
    window = dtu.in_window(start, zone, 30, 48)
    flex = Flexibility(("plant",), 30, np.zeros((1, 48)), np.full((1, 48), 1200.0))
    offer = make_offer(dtu, flex, window)
    assert [b.start for b in offer.blocks] == [0, 24]  # 00:00-04:00 and 12:00-16:00
    # 04:00-07:00 (intervals 8-13) is left over from the overnight window: said why
    assert any(
        r.startswith("intervals 8-13: the 6 intervals of the window run left over") for r in offer.reasons
    )
    assert any(r.startswith("intervals 46-47") for r in offer.reasons)  # 23:00-24:00


def test_reasons_name_local_clock_times_when_the_round_start_is_known() -> None:
    import numpy as np

    from flexunity.markets.flexibility import Flexibility
    from flexunity.markets.offers import make_offer

    dtu = get_product("GB-DTU")
    start, zone = "2026-06-30T23:00:00+00:00", "Europe/London"  # 00:00 BST
    flex = Flexibility(("plant",), 30, np.zeros((1, 48)), np.full((1, 48), 1200.0))
    clock = dtu.local_minutes(start, zone, 30, 48)
    assert clock[:3] == [0, 30, 60] and clock[-1] == 23 * 60 + 30
    offer = make_offer(dtu, flex, dtu.in_window(start, zone, 30, 48), clock=clock)
    assert any(r.startswith("intervals 8-13 (04:00-07:00): the 6 intervals") for r in offer.reasons)
    assert any(r.startswith("intervals 46-47 (23:00-24:00)") for r in offer.reasons)
