"""HumanGov: personnel tracking for the 50 US states."""

__version__ = "0.1.0"
