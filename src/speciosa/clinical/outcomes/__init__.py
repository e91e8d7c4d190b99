"""Program outcome and quality measures: definitions as data, a set-based DuckDB engine,
and a pandas reference implementation of the same numbers (used by tests)."""
