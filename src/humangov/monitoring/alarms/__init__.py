"""Alarm rules, the pure evaluator, and durable notification delivery."""
