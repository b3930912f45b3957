"""What every store shares: engines and dialect capabilities, the schema and its column types,
the database clock, the write gate, copying and diagnosis."""
