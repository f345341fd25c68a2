"""The Iberia virtual community (Spain + Portugal): seed report section 4.2.2 and Table 5.

From the seed: in Spain 20 homes with PV and batteries, 10 consumer homes, a municipal building
(25,000 kWh/year), a hydraulic-works company (230,000 kWh/year) and two office buildings
(10,000 kWh/year each), all four with PV, storage and HVAC flexibility; in Portugal 3 homes and 2
office buildings with HVAC flexibility; four EV charging stations at commercial premises; two TSO
areas (REE, REN). Sites (Galicia, Castilla-La Mancha, Castilla y León, northern Portugal), PV
and battery sizes, home consumption, profile types and tariffs are assumptions (docs/pilots.md).
The round is timed in Europe/Madrid; Portuguese loads and tariffs keep Lisbon clock hours.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flexunity.data.pilots.base import PV, Battery, EVPoint, Flexible, PeerSpec, build_scenario
from flexunity.data.pilots.tariffs import ES_BUSINESS, ES_HOME_20TD, PT_BUSINESS, PT_HOME_BIHORARIO, Tariff
from flexunity.data.profiles import LoadSpec, PVSite, Variation, annual_kwh_sample

NAME = "iberia"
DESCRIPTION = "Iberia (ES+PT): 24 prosumers + 10 consumers in Spain, 5 in Portugal, 4 EV stations (15 min)"
TIMEZONE = "Europe/Madrid"
INTERVAL_MINUTES = 15

# name: (latitude, longitude, altitude m, timezone, specific yield kWh/kWp/year) - all assumptions
SITES: dict[str, tuple[float, float, float, str, float]] = {
    "galicia": (42.88, -8.54, 260.0, "Europe/Madrid", 1150.0),  # Santiago de Compostela
    "castilla-la-mancha": (39.86, -4.02, 530.0, "Europe/Madrid", 1550.0),  # Toledo
    "castilla-y-leon": (41.65, -4.72, 690.0, "Europe/Madrid", 1450.0),  # Valladolid
    "porto": (41.15, -8.61, 100.0, "Europe/Lisbon", 1400.0),
}

TABLE5_ANNUAL_KWH = {  # from the seed's Table 5
    "es-municipal": 25_000.0,
    "es-hydraulic-works": 230_000.0,
    "es-office-1": 10_000.0,
    "es-office-2": 10_000.0,
}
# id: (site, BDEW profile, kWp, battery kWh, battery kW, HVAC share) - sizes are assumptions
COMMERCIAL = {
    "es-municipal": ("castilla-la-mancha", "g1", 12.0, 10.0, 5.0, 0.35),
    "es-hydraulic-works": ("castilla-y-leon", "g0", 80.0, 100.0, 50.0, 0.30),
    "es-office-1": ("galicia", "g1", 5.0, 5.0, 2.5, 0.35),
    "es-office-2": ("castilla-la-mancha", "g1", 5.0, 5.0, 2.5, 0.35),
}
HOME_KWP, HOME_BATTERY_KWH, HOME_BATTERY_KW = 3.0, 5.0, 2.5
PT_OFFICE_ANNUAL_KWH = 15_000.0


def _hvac() -> Flexible:
    return Flexible("HVAC (seed Table 5)", 0.5, 0.06, rebound_fraction=0.5)


def _pv(site: str, kwp: float, tilt: float) -> PV:
    lat, lon, alt, tz, yield_ = SITES[site]
    return PV(
        PVSite(lat, lon, tz, alt, tilt, 180.0),
        kwp,
        kwp * yield_,
        f"assumed {kwp} kWp x {yield_:.0f} kWh/kWp ({site})",
    )


def _peer(pid: str, kind: str, site: str, tariff: Tariff, load: LoadSpec, source: str, **kw: Any) -> PeerSpec:
    lat, lon, *_ = SITES[site]
    return PeerSpec(
        id=pid, kind=kind, tariff=tariff, load=load, latitude=lat, longitude=lon, source=source, **kw
    )


def spain(seed: int) -> list[PeerSpec]:
    """Spanish peers: 4 commercial prosumers with EV stations, 20 PV+battery homes, 10 consumers."""
    specs = []
    for pid, (site, slp, kwp, cap, power, share) in COMMERCIAL.items():
        tz = SITES[site][3]
        specs.append(
            _peer(
                pid,
                "business" if pid != "es-municipal" else "public",
                site,
                ES_BUSINESS,
                LoadSpec(slp, TABLE5_ANNUAL_KWH[pid], tz, flexible_share=share, flexible_season="hvac"),
                "seed Table 5 (annual kWh, PV, storage, HVAC)",
                pv=_pv(site, kwp, 15.0),
                battery=Battery(cap, power),
                flexible=_hvac(),
                ev_points=(EVPoint(7.4, (8.0, 11.0), (2.0, 7.0), (6.0, 25.0)),),
            )
        )
    prosumer_kwh = annual_kwh_sample(20, low=1800, high=6500, mean=3300, seed=seed)
    for i, annual in enumerate(prosumer_kwh, start=1):
        pid = f"es-home-{i:02d}"
        specs.append(
            _peer(
                pid,
                "home",
                "galicia",
                ES_HOME_20TD,
                LoadSpec("h0", annual, "Europe/Madrid", Variation(seed, pid), 0.10, "hvac"),
                "seed Table 5 (PV, storage, small flexibility); sizes assumed",
                pv=_pv("galicia", HOME_KWP, 30.0),
                battery=Battery(HOME_BATTERY_KWH, HOME_BATTERY_KW),
                flexible=Flexible("small flexible load, e.g. water heater (assumption)", 0.5, 0.05, 1.0),
            )
        )
    consumer_kwh = annual_kwh_sample(10, low=1800, high=6500, mean=3300, seed=seed + 1)
    for i, annual in enumerate(consumer_kwh, start=1):
        pid = f"es-consumer-{i:02d}"
        specs.append(
            _peer(
                pid,
                "home",
                "galicia",
                ES_HOME_20TD,
                LoadSpec("h0", annual, "Europe/Madrid", Variation(seed, pid), 0.10, "hvac"),
                "seed Table 5 (consumer, small flexibility); annual kWh assumed",
                flexible=Flexible("small flexible load, e.g. water heater (assumption)", 0.5, 0.05, 1.0),
            )
        )
    return specs


def portugal(seed: int) -> list[PeerSpec]:
    """Portuguese peers: 3 homes and 2 offices with HVAC flexibility, no known DER."""
    specs = []
    for i, annual in enumerate(annual_kwh_sample(3, low=1500, high=4500, mean=2600, seed=seed + 2), 1):
        pid = f"pt-home-{i}"
        specs.append(
            _peer(
                pid,
                "home",
                "porto",
                PT_HOME_BIHORARIO,
                LoadSpec("h0", annual, "Europe/Lisbon", Variation(seed, pid), 0.20, "hvac"),
                "seed Table 5 (HVAC flexibility); annual kWh assumed",
                flexible=_hvac(),
            )
        )
    for i in (1, 2):
        specs.append(
            _peer(
                f"pt-office-{i}",
                "business",
                "porto",
                PT_BUSINESS,
                LoadSpec(
                    "g1", PT_OFFICE_ANNUAL_KWH, "Europe/Lisbon", flexible_share=0.35, flexible_season="hvac"
                ),
                "seed Table 5 (HVAC flexibility); annual kWh assumed",
                flexible=_hvac(),
            )
        )
    return specs


def peers(seed: int = 0) -> list[PeerSpec]:
    """Every Iberia peer, in a stable order."""
    return [*spain(seed), *portugal(seed)]


def scenario(day: date | str, *, seed: int = 0, days: int = 1) -> dict[str, Any]:
    """The Iberia scenario for ``days`` local (Madrid) days from ``day`` at quarter-hours."""
    return build_scenario(
        name=f"iberia-{day}",
        day=day,
        days=days,
        timezone=TIMEZONE,
        interval_minutes=INTERVAL_MINUTES,
        currency="EUR",
        peers=peers(seed),
        seed=seed,
        fee_per_kwh=0.004,
        metadata={
            "pilot": NAME,
            "description": DESCRIPTION,
            "sites": {
                k: {
                    "latitude": v[0],
                    "longitude": v[1],
                    "altitude_m": v[2],
                    "timezone": v[3],
                    "specific_yield_kwh_per_kwp": v[4],
                }
                for k, v in SITES.items()
            },
            "tso_areas": {"ES": "REE", "PT": "REN"},
            "sources": "FleXunity D3.1 section 4.2.2, Table 5; assumptions in docs/pilots.md",
            "assumptions": [
                "PV: pvlib clear-sky (Ineichen), south-facing, homes 30 deg tilt, commercial 15 deg; "
                "scaled to each site's assumed specific yield",
                "loads: demandlib BDEW profiles (German, synthetic) scaled to annual kWh; homes H0 with "
                "seeded variation; offices and municipal building G1, hydraulic works G0",
                "Portuguese loads and tariffs follow Lisbon clock hours inside a Madrid-timed round",
                "EV stations: one 7.4 kW point at each Spanish commercial prosumer",
                "community fee 0.004 EUR/kWh; tariffs are assumptions (docs/pilots.md)",
            ],
        },
    )
