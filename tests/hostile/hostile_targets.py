"""Every parser that reads outside input, with the only exception types it may raise.

Shared by the hypothesis property tests and the atheris fuzz harness (``fuzz_parsers.py``),
so both hold each parser to the same contract: a hostile input yields a result or a
*documented* error — never a ``RecursionError``, a ``decimal.InvalidOperation`` or a bare
``ValueError`` that the caller does not expect and that would abort a whole import.

``KNOWN_BUGS`` lists contract breaks found and not yet fixed in code owned by other
modules. Each entry names the xfail test in ``test_known_parser_bugs.py`` that
reproduces it and the fix; the property tests and the fuzzer tolerate exactly those
(target, exception, message) triples and nothing else. Remove an entry once its
xfail test passes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.ingest.file_check import FileFormatError, check_file
from hub.ingest.record_files import read_record_file
from hub.matching.batch_io import BatchInputError, read_cases
from hub.registry.importer import parse_line, read_lines
from schemas.errors import InvalidValue
from schemas.identifiers import (
    validate_case_number,
    validate_credit_code,
    validate_doc_number,
    validate_id_number,
    validate_region_code,
)
from schemas.textfile import UnreadableFile, loads_yaml_strict, open_text
from schemas.values import parse_area_mu, parse_date, parse_money_yuan
from sla.notice import NoticeError, parse_notice


@dataclass(frozen=True)
class Target:
    name: str
    parse: Callable[[Any], Any]
    allowed: tuple[type[BaseException], ...]  # documented error types; () = must never raise
    takes_bytes: bool = False


def _registry_line(text: str) -> Any:
    return parse_line(1, text)


def _as_file(data: bytes, suffix: str) -> Path:
    folder = Path(tempfile.gettempdir()) / f"pilhub-hostile-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return path


def _registry_file(data: bytes) -> Any:
    """``pilhub cases import``'s reading and parsing of a whole file (the store part is tested separately)."""
    return [parse_line(number, text) for number, text in read_lines(_as_file(data, ".jsonl"))]


def _validate_file(data: bytes, suffix: str) -> Any:
    return check_file("agency.receipt", _as_file(data, suffix), Path(os.devnull))


def _record_file(data: bytes, suffix: str) -> Any:
    """``pilhub records load``'s and ``pilhub validate``'s reading of a JSON Lines, CSV or XLSX file."""
    return read_record_file(_as_file(data, suffix)).lines


def _matching_cases(data: bytes) -> Any:
    """``pilhub link``'s reading of a cases file (pyarrow first, then line by line)."""
    return read_cases(_as_file(data, ".jsonl"), lambda *_: None)


def _text_lines(data: bytes) -> Any:
    return list(open_text(_as_file(data, ".txt"), max_line_bytes=64))


TARGETS: list[Target] = [
    Target("date", parse_date, (InvalidValue,)),
    Target("date_spreadsheet", lambda v: parse_date(v, spreadsheet=True), (InvalidValue,)),
    Target("money", parse_money_yuan, (InvalidValue,)),
    Target("area", parse_area_mu, (InvalidValue,)),
    Target("id_number", validate_id_number, (InvalidValue,)),
    Target("credit_code", validate_credit_code, (InvalidValue,)),
    Target("region_code", validate_region_code, (InvalidValue,)),
    Target("case_number", validate_case_number, (InvalidValue,)),
    Target("doc_number", validate_doc_number, (InvalidValue,)),
    Target("registry_line", _registry_line, ()),
    Target("calendar_notice", parse_notice, (NoticeError,)),
    Target("yaml_strict", loads_yaml_strict, (UnreadableFile,)),
    # Whole files through the file entry points: only "the file as a whole is unreadable" may be raised.
    Target("registry_file", _registry_file, (UnreadableFile,), takes_bytes=True),
    Target("validate_jsonl", lambda data: _validate_file(data, ".jsonl"), (FileFormatError,), takes_bytes=True),
    Target("validate_csv", lambda data: _validate_file(data, ".csv"), (FileFormatError,), takes_bytes=True),
    Target("text_lines", _text_lines, (UnreadableFile,), takes_bytes=True),
    Target("matching_cases", _matching_cases, (BatchInputError,), takes_bytes=True),
    Target("record_file_xlsx", lambda data: _record_file(data, ".xlsx"), (FileFormatError,), takes_bytes=True),
]

try:  # the connector SDK is built in parallel; its parsers join the contract once present
    from connectors.sdk.decoding import decode_body
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.formats import parse_body

    for _fmt in ("json", "jsonl", "csv", "xml"):
        TARGETS.append(Target(f"body_{_fmt}", lambda text, f=_fmt: parse_body(text, f), (ConnectorError,)))
    TARGETS.append(Target("decode_body", lambda data: decode_body(data, "gbk"), (ConnectorError,), takes_bytes=True))
except ImportError:  # pragma: no cover - before the connectors SDK exists
    pass

BY_NAME = {t.name: t for t in TARGETS}


@dataclass(frozen=True)
class KnownBug:
    target: str
    exception: type[BaseException]
    message: str  # substring of str(exc); "" matches any
    test: str  # the xfail test that reproduces it


#: Empty: every break found so far is fixed (see test_known_parser_bugs.py). Add entries as
#: ``KnownBug("body_json", ValueError, "integer string conversion", "test_…")`` while one is open.
KNOWN_BUGS: tuple[KnownBug, ...] = ()


def known_bug(target: str, exc: BaseException) -> KnownBug | None:
    for bug in KNOWN_BUGS:
        if bug.target == target and isinstance(exc, bug.exception) and bug.message in str(exc):
            if isinstance(exc, InvalidValue):
                return None  # the documented type is never a bug
            return bug
    return None


def check(target: Target, value: Any) -> None:
    """Run one input; re-raise anything that is neither documented nor a known, tracked bug."""
    try:
        target.parse(value)
    except target.allowed:
        pass
    except Exception as exc:
        if known_bug(target.name, exc) is None:
            raise
