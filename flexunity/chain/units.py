"""Moved to :mod:`flexunity.units` (issue 12: one units module). Re-exported only for the two modules
that still import from here (chain/settlement.py, oracle/revenue.py); once they import
``flexunity.units``, delete this file. Write no code here."""

from flexunity.units import bill_to_leaf_amount, largest_remainder

__all__ = ["bill_to_leaf_amount", "largest_remainder"]
