"""Errors a user can meet. The web layer maps each to one HTTP status, in one place."""

from __future__ import annotations


class HumanGovError(Exception):
    """Base of every error we raise on purpose. `detail` is shown to the user."""

    title = "Error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(HumanGovError):
    title = "Not found"


class NotYours(NotFound):
    """Another tenant's state. Programs get the 404 a missing state gets (its existence is not
    ours to reveal); a person in the browser is told plainly, whether it is provisioned or
    not, so the page reveals nothing either."""

    def __init__(self, state: str, own: str | None) -> None:
        super().__init__(f"The state {state} is not provisioned in this HumanGov.")
        yours = f" Your account is for {own}." if own else ""
        self.page_detail = (f"You do not have access to {state}.{yours} "
                            "A platform admin can give you access.")


class InvalidInput(HumanGovError):
    title = "Invalid input"


class Conflict(HumanGovError):
    title = "Conflict"


class StaleVersion(HumanGovError):
    title = "Precondition failed"


class Unauthenticated(HumanGovError):
    title = "Authentication required"


class Forbidden(HumanGovError):
    title = "Forbidden"


class UnsupportedDocument(HumanGovError):
    title = "Unsupported media type"


class DocumentTooLarge(HumanGovError):
    title = "Document too large"


class StorageUnavailable(HumanGovError):
    title = "Storage unavailable"


class StorageFull(HumanGovError):
    """The store is out of space (or quota): nothing was stored; an operator must free some."""

    title = "Insufficient storage"


class ErasureRefused(HumanGovError):
    """The store kept the object and retrying will not change that (S3 Object Lock retention,
    access denied): the erasure is a dead letter at once, for a person to act on. A legal hold
    is `ErasureHeld`, a wait rather than a failure."""

    title = "Erasure refused"


class ErasureHeld(ErasureRefused):
    """The store keeps the object under a legal hold (S3 Object Lock): the erasure waits as
    `held` until the hold is lifted, rather than failing."""

    title = "Erasure held"
