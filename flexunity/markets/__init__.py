"""Balancing-market participation: products, flexibility, offers, activation, delivery, settlement.

Pure parts (products, offers, activation, settlement) need no solver; ``delivery`` and ``workflow``
re-dispatch with ``flexunity.optimize``. Conventions and formulas: docs/markets.md.
"""

from flexunity.markets.activation import Activation, load_activations, simulate_activations
from flexunity.markets.flexibility import AssetFlex, Flexibility, compute_flexibility
from flexunity.markets.offers import Offer, OfferBlock, make_offer
from flexunity.markets.products import BalancingProduct, get_product, load_products
from flexunity.markets.settlement import DeliveryResult, settle, to_base_units

__all__ = [
    "Activation",
    "AssetFlex",
    "BalancingProduct",
    "DeliveryResult",
    "Flexibility",
    "Offer",
    "OfferBlock",
    "compute_flexibility",
    "get_product",
    "load_activations",
    "load_products",
    "make_offer",
    "settle",
    "simulate_activations",
    "to_base_units",
]
