"""Adoption of an earlier HumanGov application's records and documents (issue 12)."""

from humangov.adoption.service import Adoption, LegacyRecords, LegacySource, Outcome, Report

__all__ = ["Adoption", "LegacyRecords", "LegacySource", "Outcome", "Report"]
