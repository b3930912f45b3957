"""The alert ledger: alerts found from the runs, deliveries queued once per channel, attempts."""
