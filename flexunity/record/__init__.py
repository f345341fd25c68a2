"""Formats shared by the oracle and the audit: what a round's documents and payloads look like.

``store`` (content-addressed documents, canonical JSON), ``orders`` (order payload codec, round
configuration), ``settlement`` (settlement leaves), ``revenue`` (revenue distribution documents).
Formats only: the computations the audit checks (bills, amounts, shares) do not live here.
"""
