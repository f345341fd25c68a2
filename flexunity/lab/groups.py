"""Sub-communities for the hybrid design and the "local" product of bilateral trading.

``auto``: by the country of each peer's tariff when the community spans several (Iberia: Spain and
Portugal), else by peer kind (Corby: homes, businesses, the EV hub). ``kind`` and ``country`` force
one; ``metadata:KEY`` groups by a peer metadata field.
"""

from __future__ import annotations

from flexunity.errors import InputError
from flexunity.model import Scenario


def assign(sc: Scenario, by: str = "auto") -> dict[str, str]:
    """Sub-community name per peer id."""
    countries = {p.id: sc.tariffs[p.tariff].country or "?" for p in sc.peers}
    if by == "auto":
        by = "country" if len(set(countries.values())) > 1 else "kind"
    if by == "country":
        return countries
    if by == "kind":
        return {p.id: p.kind for p in sc.peers}
    if by.startswith("metadata:"):
        key = by.split(":", 1)[1]
        return {p.id: str(p.metadata.get(key, "?")) for p in sc.peers}
    raise InputError(f"unknown grouping {by!r}; use auto, kind, country or metadata:KEY", where="--groups")
