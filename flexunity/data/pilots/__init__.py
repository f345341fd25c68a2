"""Pilot communities of the seed report (Corby, Iberia) as ``flexunity-scenario/1`` scenarios.

``PILOTS`` lists them; ``build_pilot(name, day, seed=..., days=...)`` returns an inline scenario
dict and ``write_folder(scenario, out_dir)`` writes ``scenario.json`` + ``profiles.csv``.
"""

from flexunity.data.pilots.registry import PILOTS, Pilot, build_pilot, get_pilot, write_folder

__all__ = ["PILOTS", "Pilot", "build_pilot", "get_pilot", "write_folder"]
