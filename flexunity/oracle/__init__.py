"""The community manager's oracle: one market round's orchestration, its persisted state, retries.

Modules: ``manifest`` (deployment manifest), ``keystore`` (encrypted accounts), ``orders`` (order
payload codec and round configuration), ``store`` (content-addressed documents), ``state`` (the
SQLite state machine), ``rpc`` (retries, batch sends, revert explanations), ``settlement`` (bills to
integer Merkle leaves), ``round`` (the steps), ``demo`` and ``benchmark``. See docs/oracle.md.
"""
