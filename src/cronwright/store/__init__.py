"""Durable storage: the contracts (:mod:`cronwright.store.contracts`) and their SQL
implementation for SQLite and PostgreSQL, one folder per concept."""
