"""No trading: every peer alone against its retailer (the optimiser's standalone bills)."""

from __future__ import annotations

import time

import numpy as np

from flexunity.lab.gas import NO_CHAIN
from flexunity.lab.outcome import Outcome
from flexunity.lab.schedule import own_schedule
from flexunity.model import Scenario
from flexunity.optimize.bills import standalone_bills_from

METHOD = (
    "Each peer schedules its own assets against its own retail tariff and buys from or sells to "
    "its retailer only (the standalone bill of flexunity.optimize). No community, nothing on chain."
)


def run(sc: Scenario) -> Outcome:
    """The no-trading day: each peer's own optimum; bills are the optimiser's standalone bills."""
    start = time.perf_counter()
    d = own_schedule(sc)
    bills = standalone_bills_from(d)
    zeros = np.zeros((len(sc.peers), sc.intervals))
    nan = np.full(sc.intervals, np.nan)
    return Outcome("none", sc, d, bills, zeros, nan, NO_CHAIN, time.perf_counter() - start)
