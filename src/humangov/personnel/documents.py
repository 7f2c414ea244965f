"""Reading uploaded documents: PDF sniffing by content, bounded size, streaming."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from humangov.domain.errors import DocumentTooLarge, UnsupportedDocument

CHUNK = 256 * 1024
# PDF 1.7 (ISO 32000-1, 7.5.2) lets the header appear anywhere in the first 1024 bytes.
HEADER_WINDOW = 1024


def pdf_chunks(stream: BinaryIO, max_size: int) -> Iterator[bytes]:
    """Yield the stream in chunks, refusing non-PDF content and anything over `max_size`.

    The check runs on the first bytes before anything is yielded, so a rejected upload never
    reaches storage; the size is enforced while streaming, so a huge body is never held.
    """
    head = b""
    while len(head) < HEADER_WINDOW:
        more = stream.read(HEADER_WINDOW - len(head))
        if not more:
            break
        head += more
    if not head:
        raise UnsupportedDocument("The document is empty. Upload the scanned ID as a PDF file.")
    if not is_pdf_head(head):
        raise not_a_pdf()
    total = len(head)
    if total > max_size:
        raise too_large(max_size)
    yield head
    while chunk := stream.read(CHUNK):
        total += len(chunk)
        if total > max_size:
            raise too_large(max_size)
        yield chunk


def is_pdf_head(head: bytes) -> bool:
    """Whether a file's first bytes (at least HEADER_WINDOW of them, or all) hold a PDF header."""
    return b"%PDF-" in head[:HEADER_WINDOW]


def not_a_pdf() -> UnsupportedDocument:
    return UnsupportedDocument(
        "The document is not a PDF (its content does not start with a PDF header). "
        "Upload the scanned ID as a PDF file."
    )


def too_large(max_size: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"The document is larger than the limit of {human_size(max_size)}. "
        "Scan it at a lower resolution or split it, then upload again."
    )


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            break
        size /= 1024
    return f"{size:.0f} {unit}" if size.is_integer() else f"{size:.1f} {unit}"
