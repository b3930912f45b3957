"""The running system: scheduler loop, worker pool, reaper, and their statistics."""
