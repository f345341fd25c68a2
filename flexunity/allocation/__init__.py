"""Revenue and savings sharing among peers (seed report, section 2.2.1.2): rules, games, the core.

Entry point: :func:`allocate` (rule name, integer total, :class:`SharingInputs`) returns an
:class:`Allocation` of exact integer shares summing to the total. Formulas: docs/allocation.md.
"""

from flexunity.allocation.core import CoreReport, check_core, least_core_epsilon
from flexunity.allocation.game import AdditiveThresholdGame, Game, TableGame
from flexunity.allocation.rules import RULES, Allocation, RuleOptions, SharingInputs, allocate
from flexunity.allocation.savings import InflexibleSavingsGame
from flexunity.allocation.shapley import ShapleyEstimate, exact_shapley, sampled_shapley
from flexunity.allocation.verify import verify_allocation

__all__ = [
    "RULES",
    "AdditiveThresholdGame",
    "Allocation",
    "CoreReport",
    "Game",
    "InflexibleSavingsGame",
    "RuleOptions",
    "ShapleyEstimate",
    "SharingInputs",
    "TableGame",
    "allocate",
    "check_core",
    "exact_shapley",
    "least_core_epsilon",
    "sampled_shapley",
    "verify_allocation",
]
