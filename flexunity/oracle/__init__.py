"""The community manager's oracle: one market round's orchestration, its persisted state, its computations.

Modules: ``runner`` (the round's steps), ``state`` (the SQLite state machine), ``port`` (what the
runner needs from a chain, with fakes in the tests), ``chainio`` (that port on a real chain),
``service`` (``flexunity oracle run``), ``outcomes`` (a handler per on-chain outcome), ``lock`` (one
oracle per deployment), ``settlement`` (bills to integer amounts and leaves), ``revenue`` (step 7:
offer, deliver, share) and ``distribution`` (step 7 persisted, once per round). Formats live in
flexunity/record, transport in flexunity/chain. See docs/oracle.md and docs/architecture.md.
"""
