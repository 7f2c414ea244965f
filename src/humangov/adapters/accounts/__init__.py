"""AccountStore adapters: memory (tests, fakes) and SQLite (the embedded default)."""
