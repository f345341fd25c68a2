"""The fairness KPIs of per-peer savings: golden values and where they are undefined."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.optimize.kpis import gini, jain_index


def test_gini_of_equal_savings_is_zero_and_of_one_winner_is_n_minus_one_over_n() -> None:
    assert gini(np.array([3.0, 3.0, 3.0, 3.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 8.0])) == pytest.approx(3 / 4)
    assert gini(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.25)  # Σ|xi-xj| / (2 n² mean) = 20/80


def test_gini_is_undefined_when_a_peer_loses_or_nobody_gains() -> None:
    # with a negative saving the formula gives (here) 5/3, no longer an inequality measure in [0, 1)
    assert gini(np.array([-2.0, 1.0, 3.0])) is None
    assert gini(np.array([0.0, 0.0])) is None
    assert gini(np.array([])) is None


def test_jain_index_is_one_for_equal_savings_and_one_over_n_for_one_winner() -> None:
    assert jain_index(np.array([2.0, 2.0, 2.0])) == pytest.approx(1.0)
    assert jain_index(np.array([0.0, 0.0, 5.0])) == pytest.approx(1 / 3)
