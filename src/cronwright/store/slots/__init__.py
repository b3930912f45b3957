"""The slot ledger: schedulers write each slot's run exactly once."""
