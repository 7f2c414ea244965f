"""Synthetic monitoring: check definitions, check types, scheduler, results, alarms, notify."""
