"""The file naming many states' earlier tables and buckets, for `humangov adopt --from FILE`:
CSV with the header `state,legacy_table,legacy_bucket`, or YAML, a list of mappings with
those keys."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov.domain.errors import InvalidInput, NotFound
from humangov.domain.states import normalize_code

FIELDS = ("state", "legacy_table", "legacy_bucket")


@dataclass(frozen=True)
class Named:
    state: str
    legacy_table: str
    legacy_bucket: str


def read_sources(path: Path) -> list[Named]:
    text = path.read_text(encoding="utf-8-sig")
    rows = _yaml(path, text) if path.suffix.lower() in (".yaml", ".yml") else _csv(text)
    named: list[Named] = []
    for number, row in rows:
        values = {f: str(row.get(f) or "").strip() for f in FIELDS}
        missing = [f for f in FIELDS if not values[f]]
        if missing:
            raise InvalidInput(f"{path}: entry {number} lacks {', '.join(missing)}; each "
                               f"names {', '.join(FIELDS)}.")
        try:
            code = normalize_code(values["state"])
        except NotFound as exc:
            raise InvalidInput(f"{path}: entry {number}: {exc.detail}") from None
        named.append(Named(code, values["legacy_table"], values["legacy_bucket"]))
    states = [n.state for n in named]
    twice = sorted({s for s in states if states.count(s) > 1})
    if twice:
        raise InvalidInput(f"{path}: {', '.join(twice)} appear(s) more than once.")
    if not named:
        raise InvalidInput(f"{path} names no state.")
    return named


def _csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    return [(reader.line_num, row) for row in reader if any((v or "").strip()
                                                            for v in row.values())]


def _yaml(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, list) or not all(isinstance(e, dict) for e in loaded):
        raise InvalidInput(f"{path} must be a YAML list of mappings with "
                           f"{', '.join(FIELDS)}.")
    return list(enumerate(loaded, start=1))
