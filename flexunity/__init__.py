"""FlexUnity: flexible energy communities with P2P trading, verifiable settlement on an Ethereum chain
and balancing-market participation. See README.md and docs/ for the map of the package."""

__version__ = "0.1.0"
