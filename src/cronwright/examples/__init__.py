"""Example python actions shipped with the package (``cronwright serve --demo`` uses them)."""
