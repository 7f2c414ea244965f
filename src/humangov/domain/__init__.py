"""Pure domain: dataclasses and rules. Imports nothing of ours and no framework."""
