"""Helpers for cronwright's own tests and benchmarks (outside the layer ladder)."""
