"""``flexunity serve``: the community's web server (docs/web.md).

- ``documents``: the read-only document server (manifest, round configs, results, revenue documents,
  addressed by their keccak256 hash, with an index). Clients verify each document against its
  on-chain hash, so nobody needs to trust the server.
- ``app``: the Starlette application that puts the rooms together.

web sits above oracle and audit in the import order: it may import chain, record and audit;
nothing but ``cli`` imports web.
"""
