"""Reports of cleared rounds: tables, plots, HTML."""
