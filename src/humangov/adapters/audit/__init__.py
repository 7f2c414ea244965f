"""The AuditLog port: in memory, in SQLite (`audit_events`) and in DynamoDB (platform table)."""
