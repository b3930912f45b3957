"""Durable storage: the ``Store`` contract and its SQL implementation for SQLite and PostgreSQL."""
