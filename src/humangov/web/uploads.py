"""Multipart uploads with a hard size limit enforced while the body streams in."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from humangov.domain.errors import DocumentTooLarge, InvalidInput
from humangov.personnel.documents import too_large
from humangov.web.errors import STATUS, BadRequest

# Room for the other form fields and multipart boundaries around the document itself.
FORM_OVERHEAD = 64 * 1024


class FormTooLarge(DocumentTooLarge):
    """Too large, with the text fields sent before the file: browsers send fields in document
    order and our forms put the file last, so a page can show what was typed again."""

    def __init__(self, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail, field="document")
        self.fields = fields


STATUS[FormTooLarge] = STATUS[DocumentTooLarge]


async def _leading_fields(request: Request, prefix: bytearray) -> dict[str, str]:
    """The complete text fields in the first bytes of a multipart body; the cut-off file and
    anything malformed are left out."""

    async def stream():
        yield bytes(prefix)

    parser = MultiPartParser(request.headers, stream(), max_files=1, max_fields=20)
    try:
        form = await parser.parse()
    except (MultiPartException, ValueError, KeyError, UnicodeDecodeError):
        return {}
    await form.close()
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}


def _limited(request: Request, limit: int, max_document: int):
    """`request.receive`, refusing the body past `limit`; the refusal carries the text fields
    read from the body's first FORM_OVERHEAD bytes (read even if Content-Length is too big)."""
    seen = 0
    prefix = bytearray()
    receive = request.receive

    async def refuse() -> FormTooLarge:
        while len(prefix) < FORM_OVERHEAD:
            message = await receive()
            prefix.extend(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return FormTooLarge(too_large(max_document).detail, await _leading_fields(request, prefix))

    async def receive_limited():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            seen += len(body)
            if len(prefix) < FORM_OVERHEAD:
                prefix.extend(body[: FORM_OVERHEAD - len(prefix)])
            if seen > limit:
                raise await refuse()
        return message

    return receive_limited, refuse


@asynccontextmanager
async def read_form(request: Request, max_document: int):
    """Parse a multipart form, refusing an oversized body before reading all of it."""
    limit = max_document + FORM_OVERHEAD
    receive, refuse = _limited(request, limit, max_document)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise await refuse()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest(
            "Send the employee as multipart/form-data, with the PDF in the 'document' field."
        )
    limited = Request(request.scope, receive)
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
