"""Personnel use cases: states, employees, documents, history, import/export."""
