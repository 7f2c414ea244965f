"""Erasure request stores: SQLite (embedded) and the DynamoDB platform table (AWS)."""
