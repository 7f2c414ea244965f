"""RetentionSchedules adapters: SQLite (embedded) and DynamoDB (the platform table)."""
