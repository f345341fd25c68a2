"""The community manager's oracle: one market round's orchestration, its persisted state, its computations.

Modules: ``runner`` (the round's steps), ``state`` (the SQLite state machine), ``port`` (what the
runner needs from a chain, with fakes in the tests), ``chainio`` (that port on a real chain),
``service`` (``flexunity oracle run``), ``settlement`` (bills to integer amounts and leaves),
``revenue`` (step 7: offer, deliver, share, deposit). Formats live in flexunity/record, transport in
flexunity/chain. See docs/oracle.md and docs/architecture.md.
"""
