"""Read a value to share and the peers' contributions from a JSON file (``flexunity-value/1``).

::

    {"format": "flexunity-value/1",
     "total": 1500000,                       # integer base units to share (e.g. pence, token units)
     "threshold": 1000,                      # optional: a coalition earns only if Σ contribution >= it
     "peers": {"a": {"contribution": 600, "renewable_kwh": 12.5, "metadata": {"low_income": true}},
               "b": {"contribution": 500}},
     "coalitions": [{"members": ["a"], "value": 0}, ...]}   # optional: an explicit game

Games, when a rule needs one (marginal, shapley): the explicit ``coalitions`` (every non-empty
coalition must be listed), else v(S) = Σ_{i∈S} c_i if that is at least ``threshold`` (default 0),
else 0: the balancing-revenue game, where a coalition below the product's minimum earns nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from flexunity.allocation.game import AdditiveThresholdGame, Game, TableGame, check_exact_size
from flexunity.allocation.rules import SharingInputs
from flexunity.errors import InputError

FORMAT = "flexunity-value/1"


def load_value_file(path: str | Path) -> tuple[SharingInputs, int]:
    """The sharing inputs and the integer total described by a value file."""
    where = str(path)
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read value file: {exc}", where=where) from None
    return value_inputs(document, where)


def value_inputs(document: dict[str, Any], where: str = "value") -> tuple[SharingInputs, int]:
    """Parse a value document (see the module docstring)."""
    if document.get("format", FORMAT) != FORMAT:
        raise InputError(f"format must be {FORMAT!r}", where=where)
    total = document.get("total")
    if not isinstance(total, int) or isinstance(total, bool):
        raise InputError(f"'total' must be an integer amount of base units, got {total!r}", where=where)
    peers_doc = document.get("peers")
    if not isinstance(peers_doc, dict) or not peers_doc:
        raise InputError("'peers' must map peer ids to their data", where=where)
    peers = tuple(sorted(peers_doc))
    contributions = {p: float(peers_doc[p].get("contribution", 0.0)) for p in peers}
    renewable = {p: float(peers_doc[p].get("renewable_kwh", 0.0)) for p in peers}
    metadata = {p: dict(peers_doc[p].get("metadata", {})) for p in peers}
    game = _game(document, peers, contributions, where)
    inputs = SharingInputs(peers, contributions, renewable, metadata, game)
    return inputs, total


def _game(
    document: dict[str, Any], peers: tuple[str, ...], contributions: dict[str, float], where: str
) -> Game:
    listed = document.get("coalitions")
    if listed is None:
        threshold = float(document.get("threshold", 0.0))
        return AdditiveThresholdGame(peers, [contributions[p] for p in peers], threshold, 1.0)
    check_exact_size(len(peers))
    index = {p: i for i, p in enumerate(peers)}
    table = np.full(1 << len(peers), np.nan)
    table[0] = 0.0
    for entry in listed:
        try:
            mask = sum(1 << index[m] for m in set(entry["members"]))
            table[mask] = float(entry["value"])
        except KeyError as exc:
            raise InputError(
                f"coalition entry {entry!r}: unknown peer or missing key {exc}", where=where
            ) from None
    missing = int(np.isnan(table).sum())
    if missing:
        raise InputError(
            f"{missing} coalitions have no value: an explicit game must list all of them", where=where
        )
    return TableGame(peers, table)
