"""Formats shared by the oracle and the audit: what a round's documents and payloads look like.

``store`` (content-addressed documents, canonical JSON), ``orders`` (order payload codec, round
configuration), ``revenue`` (revenue distribution documents). Settlement leaves, a struct of the
contracts, are flexunity.chain.settlement.SettlementLeaf (their document form included).
Formats only: the computations the audit checks (bills, amounts, shares) do not live here.
"""
