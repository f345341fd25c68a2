"""A devnet application above the oracle and the audit: the demo community, its peers, the benchmark.

``run`` (``flexunity demo``: deploy, rounds, revenue, audit), ``community`` (demo peers that register
and send orders), ``benchmark`` (``flexunity bench round``). See docs/architecture.md.
"""
