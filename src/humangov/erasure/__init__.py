"""Guaranteed erasure: plan/erase (pure core), outbox worker, sweep, compliance report."""
