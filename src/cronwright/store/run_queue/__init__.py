"""The run queue: workers claim, lease, finish and retry runs under exact limits."""
