"""The HoldStore port: in memory, in SQLite (`legal_holds`) and in DynamoDB (platform table)."""
