"""Cursors no listing ever issues. Every listing must answer each with InvalidInput on the
`cursor` field (422 on the API), never reach its database with it.

None of these is a valid position for any listing: an employee listing issues a list of
three short strings; a ledger issues a non-negative integer (memory, SQLite) or a string
holding '#' (DynamoDB).
"""

from __future__ import annotations

import base64

import orjson


def b64(raw: bytes | str) -> str:
    raw = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64(orjson.dumps(value))


CRAFTED_CURSORS = {
    "not base64": "garbage!",
    "not ascii": "ñ",
    "not json": b64("not json"),
    "not utf-8": b64(b"\xff\xfe\xfd"),
    "r and thirty 9s": b64("r" + "9" * 30),  # once a 500: an id too big for SQLite
    "an int past 64 bits": b64json(2**64 - 1),
    "an int past SQLite's": b64json(2**63),
    "an int past any": b64("9" * 40),
    "negative": b64json(-1),
    "a float": b64json(1.5),
    "a bool": b64json(True),
    "null": b64json(None),
    "a string without #": b64json("Lovelace"),
    "an empty list": b64json([]),
    "two strings": b64json(["Lovelace", "Ada"]),
    "four strings": b64json(["Lovelace", "Ada", "x", "y"]),
    "numbers": b64json([1, 2, 3]),
    "nested": b64json([["Lovelace"], "Ada", "x"]),
    "deeply nested": b64("[" * 2000 + "]" * 2000),
    "an object": b64json({"pk": "R#x#y", "sk": "R", "state": "CA", "seq": "t#x#y"}),
    "a lone surrogate": b64(b'["\\ud800", "Ada", "x"]'),
    "a name past any stored": b64json(["L" * 101, "Ada", "x"]),
    "very long": b64json(["L" * 5000, "Ada", "x"]),
}
