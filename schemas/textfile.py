"""Reading files handed to the hub without letting them hurt it: bounded lines, encodings, hostile JSON.

Every command that reads a file an outsider produced (``pilhub cases import``, ``pilhub validate``, the record
and calendar loaders) reads it through this module, so one careless or hostile file cannot

* exhaust memory — a line is read at most ``max_line_bytes`` at a time; an overlong line is skipped to its
  end without ever being held whole and reported as a line error;
* abort the whole file — an undecodable byte costs its own line (``line.decode``), not the file;
* be read in the wrong encoding — UTF-8 (with or without BOM), GB18030 (the national standard agency systems
  on Windows still write) and UTF-16 with a BOM are recognised; a file that is none of them (binary, UTF-32,
  an unknown encoding) is :class:`UnreadableFile` — the caller exits 2 with its bilingual message;
* crash a JSON parser — deep nesting, 5,000-digit integers and duplicate keys (a second ``region_code`` that
  would silently win) are line errors naming the line, the column or the key.

Nothing here imports ``hub``: connectors, schemas and sla code may use it too.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_LINE_BYTES",
    "SAMPLE_BYTES",
    "LineProblem",
    "TextFile",
    "TextLine",
    "UnreadableFile",
    "csv_records",
    "detect_encoding",
    "json_line",
    "loads_strict",
    "loads_yaml_strict",
    "open_binary",
    "open_text",
    "read_text",
]

#: A record line is a few kilobytes; a megabyte line is an error (or an attack), not a record.
MAX_LINE_BYTES = 1_000_000
#: Real records nest three or four levels; 64 leaves room and stays far below Python's recursion limit.
MAX_JSON_DEPTH = 64
#: Bytes looked at to choose the encoding.
SAMPLE_BYTES = 256 * 1024
_CHUNK = 64 * 1024


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (missing, a directory, binary, an unsupported encoding)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class LineProblem:
    """Why one line could not be read; ``code`` is stable, ``zh``/``en`` never quote the line's content."""

    code: str
    zh: str
    en: str
    field: str = "(line)"

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


class TextLine(NamedTuple):
    """One physical line: its 1-based number and either its text (without the line end) or a problem."""

    number: int
    text: str | None
    problem: LineProblem | None = None


# --- encodings -------------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str | None], ...] = (
    (codecs.BOM_UTF32_LE, None),  # checked before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decodes(line: bytes, codec: str) -> bool:
    try:
        line.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(head: bytes) -> tuple[str, int]:
    """``(codec, BOM length)`` for a file starting with ``head``; :class:`UnreadableFile` if it is not text.

    Without a BOM the choice is between UTF-8 and GB18030, by line: GB18030 decodes almost any byte string
    (so a UTF-8 file with one bad byte would pass as GB18030 mojibake), while Chinese text in GB18030 is
    almost never valid UTF-8. So UTF-8 wins when at least half of the sampled non-ASCII lines are valid
    UTF-8; the one bad line then becomes a line error instead of the whole file turning into nonsense.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if codec is None:
                raise UnreadableFile(
                    "文件为 UTF-32 编码，不受支持；请另存为 UTF-8",
                    "the file is UTF-32, which is not supported; save it as UTF-8",
                )
            return codec, len(bom)
    if b"\x00" in head:
        raise UnreadableFile(
            "文件含空字节：不是文本文件，或为无字节顺序标记（BOM）的 UTF-16；请另存为 UTF-8",
            "the file contains NUL bytes: not a text file, or UTF-16 without a byte-order mark; save it as UTF-8",
        )
    lines = head.split(b"\n")
    if len(head) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut inside a character
    wide = [line for line in lines if not line.isascii()]
    if not wide:
        return "utf-8", 0
    utf8 = sum(_decodes(line, "utf-8") for line in wide)
    if utf8 * 2 >= len(wide):
        return "utf-8", 0
    gb = sum(_decodes(line, "gb18030") for line in wide)
    if gb * 2 >= len(wide):
        return "gb18030", 0
    raise UnreadableFile(
        "无法识别文件编码（支持 UTF-8、GB18030、带 BOM 的 UTF-16）",
        "cannot tell the file's encoding (UTF-8, GB18030 and UTF-16 with a BOM are supported)",
    )


def open_binary(path: Path) -> Any:
    """``path`` opened for reading bytes, or :class:`UnreadableFile` saying why not (missing, a directory, …)."""
    try:
        if path.is_dir():
            raise UnreadableFile(f"{path} 是目录，不是文件", f"{path} is a directory, not a file")
        return path.open("rb")
    except FileNotFoundError:
        raise UnreadableFile(f"文件不存在：{path}", f"no such file: {path}") from None
    except PermissionError:
        raise UnreadableFile(f"无权读取文件：{path}", f"permission denied: {path}") from None
    except OSError as exc:
        raise UnreadableFile(
            f"无法读取文件：{path}", f"cannot read {path}: {exc.strerror or type(exc).__name__}"
        ) from None


# --- bounded lines ---------------------------------------------------------------------------------------


class TextFile:
    """A text file read line by line within bounds; iterate for :class:`TextLine` s.

    ``encoding`` is detected from the first bytes unless given. Opening raises :class:`UnreadableFile`;
    iterating never raises for content (only an I/O error mid-file becomes :class:`UnreadableFile`).
    """

    def __init__(self, path: Path | str, *, max_line_bytes: int = MAX_LINE_BYTES, encoding: str | None = None) -> None:
        self.path = Path(path)
        self.max_line_bytes = max_line_bytes
        with open_binary(self.path) as fh:
            try:
                head = fh.read(SAMPLE_BYTES)
            except OSError as exc:
                raise UnreadableFile(f"无法读取文件：{self.path}", f"cannot read {self.path}: {exc}") from None
        if encoding is None:
            self.encoding, self._skip = detect_encoding(head)
        else:
            self.encoding = codecs.lookup(encoding).name
            if self.encoding in ("utf-8-sig", "utf-16"):  # the BOM is skipped below; lines are decoded without it
                self.encoding = "utf-8" if self.encoding == "utf-8-sig" else self._utf16_order(head)
            self._skip = 0
            for bom, codec in _BOMS:
                if codec and codecs.lookup(codec).name == self.encoding and head.startswith(bom):
                    self._skip = len(bom)
        self._unit = 2 if self.encoding.startswith("utf-16") else 1
        self._newline = "\n".encode(self.encoding) if self._unit == 2 else b"\n"

    @staticmethod
    def _utf16_order(head: bytes) -> str:
        return "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"

    def __iter__(self) -> Iterator[TextLine]:
        try:
            yield from self._lines()
        except OSError as exc:
            raise UnreadableFile(f"读取文件中途出错：{self.path}", f"read error in {self.path}: {exc}") from None

    def _lines(self) -> Iterator[TextLine]:
        number = 0
        with open_binary(self.path) as fh:
            fh.seek(self._skip)
            buf = b""
            skipping = False  # inside an overlong line: discard up to its end
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if self._unit == 1 and not skipping:
                    # Fast path: decode every complete line of the chunk at once; per line only on a problem.
                    last = buf.rfind(b"\n")
                    if last >= 0:
                        lines = self._whole_lines(buf[:last])
                        if lines is not None:
                            for text in lines:
                                number += 1
                                yield TextLine(number, text[:-1] if text.endswith("\r") else text)
                            buf = buf[last + 1 :]
                start = 0
                while True:
                    end = self._find_newline(buf, start)
                    if end < 0:
                        break
                    if skipping:
                        skipping = False
                    else:
                        number += 1
                        yield self._checked(number, buf[start:end])
                    start = end + len(self._newline)
                buf = buf[start:]
                if len(buf) > self.max_line_bytes:
                    if not skipping:
                        number += 1
                        yield TextLine(number, None, self._too_long())
                        skipping = True
                    keep = len(buf) % self._unit  # stay aligned on UTF-16 code units
                    buf = buf[len(buf) - keep :] if keep else b""
            if buf and not skipping:
                number += 1
                yield self._checked(number, buf)

    def _whole_lines(self, region: bytes) -> list[str] | None:
        """The lines of ``region`` (complete lines, newline-separated) if none is overlong or undecodable."""
        raws = region.split(b"\n")
        if max(map(len, raws)) > self.max_line_bytes:
            return None
        try:
            texts = region.decode(self.encoding).split("\n")
        except UnicodeDecodeError:
            return None
        return texts if len(texts) == len(raws) else None

    def _checked(self, number: int, raw: bytes) -> TextLine:
        if len(raw) > self.max_line_bytes:
            return TextLine(number, None, self._too_long())
        return self._decode(number, raw)

    def _find_newline(self, buf: bytes, start: int) -> int:
        while True:
            at = buf.find(self._newline, start)
            if at < 0 or self._unit == 1 or at % 2 == 0:
                return at
            start = at + 1

    def _too_long(self) -> LineProblem:
        return LineProblem(
            "line.too_long",
            f"行过长（超过 {self.max_line_bytes} 字节），已跳过",
            f"line longer than {self.max_line_bytes} bytes; skipped",
        )

    def _decode(self, number: int, raw: bytes) -> TextLine:
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            return TextLine(
                number,
                None,
                LineProblem(
                    "line.decode",
                    f"第 {exc.start + 1} 字节处不是合法的 {self.encoding} 编码",
                    f"invalid {self.encoding} byte at byte {exc.start + 1} of the line",
                ),
            )
        return TextLine(number, text.removesuffix("\r"))


def open_text(path: Path | str, *, max_line_bytes: int = MAX_LINE_BYTES, encoding: str | None = None) -> TextFile:
    """The file at ``path`` as bounded, decoded lines (raises :class:`UnreadableFile`)."""
    return TextFile(path, max_line_bytes=max_line_bytes, encoding=encoding)


def read_text(path: Path | str, *, max_bytes: int = 20_000_000, encoding: str | None = None) -> tuple[str, str]:
    """A whole small file (YAML, a calendar, a configuration) as ``(text, encoding)``, within ``max_bytes``.

    For documents that are not line records. Any undecodable byte makes the whole file
    :class:`UnreadableFile`, naming the line where it is.
    """
    path = Path(path)
    with open_binary(path) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFile(f"文件过大（超过 {max_bytes} 字节）", f"the file is larger than {max_bytes} bytes")
    if encoding is None:
        codec, skip = detect_encoding(data[:SAMPLE_BYTES])
    else:
        codec, skip = encoding, 0
    try:
        return data[skip:].decode(codec), codec
    except UnicodeDecodeError as exc:
        line = data[skip : exc.start].count(b"\n") + 1
        raise UnreadableFile(
            f"第 {line} 行含非法 {codec} 编码字节", f"line {line} holds bytes that are not valid {codec}"
        ) from None


# --- JSON ------------------------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _shown_key(key: str) -> str:
    return key if len(key) <= 40 and key.isprintable() else key[:40].encode("unicode_escape").decode() + "…"


def loads_strict(text: str, *, max_depth: int = MAX_JSON_DEPTH, where: str = "") -> tuple[Any, LineProblem | None]:
    """``json.loads`` that returns a :class:`LineProblem` instead of raising, for any input.

    Refused: invalid JSON (with its 1-based column), duplicate keys (naming the key — the last value would
    otherwise silently win), nesting deeper than ``max_depth``, integers beyond Python's 4,300-digit limit,
    and NaN/Infinity (not JSON). ``where`` prefixes the messages (e.g. a CSV column).
    """
    zh_at, en_at = (f"{where}：", f"{where}: ") if where else ("", "")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        key = _shown_key(exc.key)
        return None, LineProblem(
            "json.duplicate_key",
            f"{zh_at}JSON 键“{key}”重复出现（不取其中任何一个值）",
            f"{en_at}duplicate JSON key {key!r} (neither value is taken)",
            where or key,
        )
    except json.JSONDecodeError as exc:
        return None, LineProblem(
            "json.invalid",
            f"{zh_at}不是合法的 JSON（第 {exc.colno} 列：{_ZH_JSON.get(exc.msg, exc.msg)}）",
            f"{en_at}invalid JSON at column {exc.colno}: {exc.msg}",
            where or "(line)",
        )
    except RecursionError:
        value = _TOO_DEEP
    except _NotJson:
        return None, LineProblem(
            "json.constant",
            f"{zh_at}NaN、Infinity 不是合法的 JSON 数值",
            f"{en_at}NaN and Infinity are not valid JSON numbers",
            where or "(line)",
        )
    except ValueError:  # an integer beyond Python's digit limit
        return None, LineProblem(
            "json.number_too_long",
            f"{zh_at}数字位数过多（超过 4300 位）",
            f"{en_at}number with too many digits (over 4300)",
            where or "(line)",
        )
    # Nesting cannot exceed the number of brackets; the walk is only needed when there are more.
    if value is _TOO_DEEP or (text.count("[") + text.count("{") > max_depth and _depth_exceeds(value, max_depth)):
        return None, LineProblem(
            "json.too_deep",
            f"{zh_at}JSON 嵌套过深（超过 {max_depth} 层）",
            f"{en_at}JSON nested too deeply (over {max_depth} levels)",
            where or "(line)",
        )
    return value, None


_TOO_DEEP = object()


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


_ZH_JSON = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "此处应为双引号括起的键名",
    "Expecting ',' delimiter": "此处应为逗号",
    "Expecting ':' delimiter": "此处应为冒号",
    "Extra data": "对象结束后还有多余内容",
    "Unterminated string starting at": "字符串未结束",
    "Invalid control character at": "字符串中有控制字符",
    "Invalid \\escape": "无效的转义",
}


def json_line(line: TextLine, *, max_depth: int = MAX_JSON_DEPTH) -> tuple[dict[str, Any] | None, LineProblem | None]:
    """A JSON Lines record: one JSON object per line, or the problem with it."""
    if line.problem is not None:
        return None, line.problem
    value, problem = loads_strict(line.text or "", max_depth=max_depth)
    if problem is not None:
        return None, problem
    if not isinstance(value, dict):
        return None, LineProblem("json.not_object", "每行须为一个 JSON 对象", "each line must be a JSON object")
    return value, None


# --- YAML ------------------------------------------------------------------------------------------------


def loads_yaml_strict(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A YAML document (safe types only) without the traps of hand-edited configuration files.

    Refused with :class:`UnreadableFile` naming the line: a syntax error; an alias (``*name`` — a ten-level
    "billion laughs" document is a few hundred bytes that expand to 10^9 nodes for whoever walks it); a key
    given twice in one mapping (PyYAML would silently keep the last); nesting deeper than ``max_depth``.
    """
    import yaml

    class _Strict(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise _YamlRefused(
                    mark.line + 1, "含别名（*name），不予展开", "holds an alias (*name); aliases are refused"
                )
            self._depth = getattr(self, "_depth", 0) + 1
            try:
                if self._depth > max_depth:
                    mark = self.peek_event().start_mark
                    raise _YamlRefused(
                        mark.line + 1, f"嵌套过深（超过 {max_depth} 层）", f"nested deeper than {max_depth}"
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, str | int | float | bool) and key in seen:
                    raise _YamlRefused(
                        key_node.start_mark.line + 1,
                        f"键“{_shown_key(str(key))}”重复",
                        f"duplicate key {str(key)[:40]!r}",
                    )
                seen.add(key) if isinstance(key, str | int | float | bool) else None
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=_Strict)
    except _YamlRefused as exc:
        raise UnreadableFile(f"第 {exc.line} 行{exc.zh}", f"line {exc.line} {exc.en}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise UnreadableFile(
            f"第 {line} 行不是合法的 YAML：{getattr(exc, 'problem', '') or ''}",
            f"line {line} is not valid YAML: {getattr(exc, 'problem', '') or type(exc).__name__}",
        ) from None
    except RecursionError:
        raise UnreadableFile("YAML 嵌套过深", "YAML nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value the constructors refuse: 5,000 digits, bad base64
        raise UnreadableFile(
            f"YAML 中有无法读取的值（{type(exc).__name__}）",
            f"a value in the YAML cannot be read ({type(exc).__name__})",
        ) from None


class _YamlRefused(Exception):
    def __init__(self, line: int, zh: str, en: str) -> None:
        super().__init__(en)
        self.line, self.zh, self.en = line, zh, en


# --- CSV -------------------------------------------------------------------------------------------------


def csv_records(
    lines: Iterable[TextLine], *, delimiter: str = ",", max_field_chars: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, dict[str, str] | None, LineProblem | None]]:
    """``(line number, row by header, problem)`` for each CSV record after the header row.

    A record may span lines (a quoted line break); its number is the line where it starts. Unreadable lines
    (overlong, undecodable) are reported and left out; a malformed record (an unclosed quote running past
    ``max_field_chars``, more cells than the header) is reported and reading goes on with the next line.
    """
    state: dict[str, int | None] = {"number": 0, "first": None}
    problems: list[tuple[int, LineProblem]] = []

    def text_lines() -> Iterator[str]:
        for line in lines:
            if line.problem is not None:
                problems.append((line.number, line.problem))
                continue
            state["number"] = line.number
            if state["first"] is None:
                state["first"] = line.number
            yield (line.text or "") + "\n"

    previous_limit = csv.field_size_limit()
    csv.field_size_limit(max_field_chars)
    try:
        reader = csv.reader(text_lines(), delimiter=delimiter, strict=False)
        header: list[str] | None = None
        while True:
            state["first"] = None
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                yield from _drain(problems)
                yield (
                    state["first"] or state["number"] or 1,
                    None,
                    LineProblem(
                        "csv.malformed",
                        "CSV 记录格式错误（引号未闭合或单元格过长）",
                        "malformed CSV record (an unclosed quote or an overlong cell)",
                    ),
                )
                continue
            yield from _drain(problems)
            start = state["first"] or state["number"] or 1
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in row]
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                yield (
                    start,
                    None,
                    LineProblem(
                        "csv.columns",
                        f"第 {start} 行列数多于表头",
                        f"line {start} has more cells than the header",
                    ),
                )
                continue
            yield start, dict(zip(header, row, strict=False)), None
        yield from _drain(problems)
    finally:
        csv.field_size_limit(previous_limit)


def _drain(problems: list[tuple[int, LineProblem]]) -> Iterator[tuple[int, None, LineProblem]]:
    while problems:
        number, problem = problems.pop(0)
        yield number, None, problem


def file_size(path: Path | str) -> int:
    """Size in bytes (0 when unknown), for progress bars."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
