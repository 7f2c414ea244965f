"""Retention: separated employees ' records and documents kept for a period, then erased."""
