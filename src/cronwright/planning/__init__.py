"""Pure scheduling decisions: which slots are due, catch-up, jitter, backoff, overlap.

Nothing here reads a clock or touches a database: every function is handed "now".
"""
