"""The Corby pilot (England, UK): seed report section 4.2.1 and Table 4.

From the seed: 4 businesses (annual kWh, PV size or yield, flexible loads of Table 4), 20 homes
with 3 kWp PV (12 × 250 Wp) using 1,100 to 8,000 kWh a year (mean about 2,500), 10 homes without
DER (control group), 4 EV charge points. Everything else (site coordinates, orientation, specific
yield, profile types, flexible shares, tariffs, EV sessions) is an assumption listed in
docs/pilots.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flexunity.data.pilots.base import PV, EVPoint, Flexible, PeerSpec, build_scenario
from flexunity.data.pilots.tariffs import GB_BUSINESS_TOU, GB_HOME_FLAT, GB_HOME_TOU, GB_INDUSTRIAL_TOU
from flexunity.data.profiles import LoadSpec, PVSite, Variation, annual_kwh_sample

NAME = "corby"
DESCRIPTION = "Corby, England: 4 businesses, 20 PV homes, 10 control homes, 4 EV charge points (30 min)"
TIMEZONE = "Europe/London"
INTERVAL_MINUTES = 30
LATITUDE, LONGITUDE, ALTITUDE_M = 52.49, -0.69, 80.0  # Corby town centre (assumption: one site)
SPECIFIC_YIELD = 850.0  # kWh/kWp/year, East Midlands (assumption, PVGIS order of magnitude)
HOME_KWP = 3.0  # 12 × 250 Wp (seed)
CHILLER_KW = 600.0  # "flexible load at least from a 600 kW chiller unit" (seed Table 4): electric rating
# Cold the product limits allow ahead of need, in electric kWh (assumption): about 770 t of chilled
# product and structure at 3.5 kJ/(kg·K) cooled 2 K below its set point hold 1.5 MWh of cold, 0.6 MWh
# of chiller electricity at a COP of 2.5: one hour at the rating (docs/pilots.md).
CHILLER_PRECOOL_KWH = 600.0

TABLE4 = {  # id: (annual kWh, kWp or None, PV annual kWh or None) from the seed's Table 4
    "corby-food-plant": (4_000_000.0, None, 42_500.0),  # "about 40-45 MWh" of PV: the midpoint
    "corby-manufacturer": (45_000.0, 8.0, None),
    "corby-business-centre": (300_000.0, 50.0, None),
    "corby-council-depot": (65_000.0, 30.0, None),
}


def _site(tilt: float) -> PVSite:
    return PVSite(LATITUDE, LONGITUDE, TIMEZONE, ALTITUDE_M, tilt_deg=tilt, azimuth_deg=180.0)


def _pv(kwp: float | None, annual: float | None, tilt: float) -> PV:
    if annual is not None:  # the table gives the yield; the size follows from the assumed yield
        return PV(_site(tilt), round(annual / SPECIFIC_YIELD, 1), annual, "seed Table 4 (annual MWh)")
    assert kwp is not None
    return PV(_site(tilt), kwp, kwp * SPECIFIC_YIELD, f"seed kWp x assumed {SPECIFIC_YIELD:.0f} kWh/kWp")


def _business(pid: str, slp: str, tariff: Any, share: float, season: Any, flex: Flexible) -> PeerSpec:
    annual, kwp, pv_annual = TABLE4[pid]
    return PeerSpec(
        id=pid,
        kind="business",
        tariff=tariff,
        load=LoadSpec(slp, annual, TIMEZONE, flexible_share=share, flexible_season=season),
        latitude=LATITUDE,
        longitude=LONGITUDE,
        source="seed Table 4",
        pv=_pv(kwp, pv_annual, tilt=10.0),
        flexible=flex,
    )


def businesses() -> list[PeerSpec]:
    """The four businesses of Table 4 with their flexible loads."""
    return [
        _business(
            "corby-food-plant",
            "g3",
            GB_INDUSTRIAL_TOU,
            0.30,
            "cooling",
            Flexible(
                "600 kW chiller unit (seed) with pre-cooling (assumed cold store)",
                0.5,
                0.04,
                rebound_fraction=0.8,
                rating_kw=CHILLER_KW,
                precool_kwh=CHILLER_PRECOOL_KWH,
            ),
        ),
        _business(
            "corby-manufacturer",
            "g1",
            GB_BUSINESS_TOU,
            0.30,
            "hvac",
            Flexible("centralised HVAC (seed)", 0.4, 0.06, rebound_fraction=0.5),
        ),
        _business(
            "corby-business-centre",
            "g1",
            GB_BUSINESS_TOU,
            0.25,
            "heating",
            Flexible("electric heaters in office areas (seed)", 0.4, 0.06, rebound_fraction=0.5),
        ),
        _business(
            "corby-council-depot",
            "g0",
            GB_BUSINESS_TOU,
            0.20,
            "cooling",
            Flexible("air conditioning in office areas (seed)", 0.5, 0.05, rebound_fraction=0.5),
        ),
    ]


def homes(seed: int) -> list[PeerSpec]:
    """20 PV homes (range and mean from the seed) and 10 control homes without DER."""
    pv_annual = annual_kwh_sample(20, low=1100, high=8000, mean=2500, seed=seed)
    control_annual = annual_kwh_sample(10, low=1100, high=8000, mean=2500, seed=seed + 1)
    specs = []
    for i, annual in enumerate(pv_annual, start=1):
        pid = f"corby-home-{i:02d}"
        specs.append(
            PeerSpec(
                id=pid,
                kind="home",
                tariff=GB_HOME_TOU,
                load=LoadSpec("h0", annual, TIMEZONE, Variation(seed, pid), 0.15, "heating"),
                latitude=LATITUDE,
                longitude=LONGITUDE,
                source="seed 4.2.1 (range 1,100-8,000, mean 2,500)",
                pv=PV(_site(35.0), HOME_KWP, HOME_KWP * SPECIFIC_YIELD, "seed 12 x 250 Wp; assumed yield"),
                flexible=Flexible(
                    "electric water heater (assumption, seed 4.2.1)", 1.0, 0.03, rebound_fraction=1.0
                ),
            )
        )
    for i, annual in enumerate(control_annual, start=1):
        pid = f"corby-control-{i:02d}"
        specs.append(
            PeerSpec(
                id=pid,
                kind="home",
                tariff=GB_HOME_FLAT,
                load=LoadSpec("h0", annual, TIMEZONE, Variation(seed, pid)),
                latitude=LATITUDE,
                longitude=LONGITUDE,
                source="seed 4.2.1 control group; annual kWh assumed like the PV homes",
            )
        )
    return specs


def ev_hub() -> PeerSpec:
    """The four public charge points (seed), 7 kW each, as one peer with no other load."""
    return PeerSpec(
        id="corby-ev-hub",
        kind="ev-hub",
        tariff=GB_BUSINESS_TOU,
        load=LoadSpec("g0", 0.0, TIMEZONE),
        latitude=LATITUDE,
        longitude=LONGITUDE,
        source="seed 4.2.1 (four charging points); sessions assumed",
        ev_points=tuple(EVPoint(7.0, (7.5, 11.0), (3.0, 8.0), (8.0, 30.0)) for _ in range(4)),
    )


def peers(seed: int = 0) -> list[PeerSpec]:
    """Every Corby peer, in a stable order."""
    return [*businesses(), *homes(seed), ev_hub()]


def scenario(day: date | str, *, seed: int = 0, days: int = 1) -> dict[str, Any]:
    """The Corby scenario for ``days`` local days from ``day`` (half-hour settlement periods)."""
    return build_scenario(
        name=f"corby-{day}",
        day=day,
        days=days,
        timezone=TIMEZONE,
        interval_minutes=INTERVAL_MINUTES,
        currency="GBP",
        peers=peers(seed),
        seed=seed,
        fee_per_kwh=0.005,
        metadata={
            "pilot": NAME,
            "description": DESCRIPTION,
            "site": {"latitude": LATITUDE, "longitude": LONGITUDE, "altitude_m": ALTITUDE_M},
            "specific_yield_kwh_per_kwp": SPECIFIC_YIELD,
            "sources": "FleXunity D3.1 section 4.2.1, Table 4; assumptions in docs/pilots.md",
            "assumptions": [
                "PV: pvlib clear-sky (Ineichen), south-facing, homes 35 deg tilt, businesses 10 deg; "
                f"scaled to {SPECIFIC_YIELD:.0f} kWh/kWp/year (clouds and losses in one factor)",
                "loads: demandlib BDEW profiles (German, synthetic) scaled to annual kWh; "
                "homes H0 with seeded shift/daily/interval variation; food plant G3, manufacturer and "
                "business centre G1, depot G0",
                "flexible loads are a share of the annual energy with a seasonal weight",
                "community fee 0.005 GBP/kWh; tariffs are assumptions (docs/pilots.md)",
            ],
        },
    )
