"""Multipart uploads with a hard size limit enforced while the body streams in."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from humangov.domain.errors import InvalidInput
from humangov.personnel.documents import too_large
from humangov.web.errors import BadRequest

# Room for the other form fields and multipart boundaries around the document itself.
FORM_OVERHEAD = 64 * 1024


def _limited(receive, limit: int, max_document: int):
    seen = 0

    async def receive_limited():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(max_document)
        return message

    return receive_limited


@asynccontextmanager
async def read_form(request: Request, max_document: int):
    """Parse a multipart form, refusing an oversized body before reading all of it."""
    limit = max_document + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(max_document)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest(
            "Send the employee as multipart/form-data, with the PDF in the 'document' field."
        )
    limited = Request(request.scope, _limited(request.receive, limit, max_document))
    try:
        form: FormData = await limited.form(max_files=2, max_fields=20)
    except (MultiPartException, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise BadRequest(
            f"The multipart body is malformed ({exc}). Check the boundary and fields."
        ) from None
    try:
        yield form
    finally:
        await form.close()


def text_fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        value = form.get(name)
        if value is None:
            continue
        if isinstance(value, UploadFile):
            raise InvalidInput(f"{name} must be a text field, not a file.", field=name)
        out[name] = value
    return out


def document_file(form: FormData) -> UploadFile:
    doc = form.get("document")
    if not isinstance(doc, UploadFile):
        raise InvalidInput(
            "document is required: attach the scanned ID as a PDF file.", field="document"
        )
    return doc
