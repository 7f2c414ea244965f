"""Erasure requests: counsel's requests, resolved, erased, closed with receipts."""
