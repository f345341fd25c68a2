"""One module per market design; each exposes ``METHOD`` (the design in words, for the report) and
a ``run`` function returning an ``Outcome`` for one day (flexunity/lab/outcome.py)."""
