"""Domain objects of a community round: peers, assets, tariffs, grid, scenario. No I/O, no chain.

Every quantity is stored in canonical units (docs/conventions.md): power in kW (mean over the
interval), energy in kWh, prices in currency per kWh. Profiles are numpy arrays of length T.
Loading, unit conversion and validation live in ``flexunity.data``.
"""

from flexunity.model.scenario import (
    Battery,
    CommunitySettings,
    CostFunction,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)

__all__ = [
    "Battery",
    "CommunitySettings",
    "CostFunction",
    "CurtailableLoad",
    "EVCharger",
    "Grid",
    "Peer",
    "Scenario",
    "ShiftableLoad",
    "Tariff",
]
