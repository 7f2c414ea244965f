"""State <-> table and bucket names, from the settings' patterns. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from humangov.domain.states import STATE_NAMES

if TYPE_CHECKING:
    from humangov.config import Settings

# The tag that makes a bucket a state's: provisioning writes `humangov:state=CA` on CA's
# bucket (the CDK app tags every resource of the state's stack with it), and the S3 store
# erases from and sweeps only a bucket that carries it.
IDENTITY_TAG = "humangov:state"
# The tag that lets HumanGov erase from an earlier application's bucket for a state (issue 12):
# `humangov:legacy-state=CA`, written when the bucket is attached, never by that application.
LEGACY_TAG = "humangov:legacy-state"


@dataclass(frozen=True, slots=True)
class Naming:
    table_pattern: str = "humangov-{state}-records"
    bucket_pattern: str = "humangov-{state}-documents"

    @classmethod
    def from_settings(cls, settings: Settings) -> Naming:
        return cls(settings.aws_table_pattern, settings.aws_bucket_pattern)

    def table(self, state: str) -> str:
        return self.table_pattern.format(state=state.lower())

    def bucket(self, state: str) -> str:
        return self.bucket_pattern.format(state=state.lower())

    def state_of_table(self, table: str) -> str | None:
        """The state whose records live in `table`, or None if no state's table has that name."""
        before, _, after = self.table_pattern.partition("{state}")
        match = re.fullmatch(re.escape(before) + "([a-z]{2})" + re.escape(after), table)
        if match is None or match[1].upper() not in STATE_NAMES:
            return None
        return match[1].upper()


def table_from_arn(arn: str) -> str | None:
    """`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` -> `<name>`."""
    _, _, resource = arn.partition(":table/")
    name = resource.split("/", 1)[0]
    return name or None
