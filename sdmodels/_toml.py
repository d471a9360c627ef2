"""Reading the project's TOML files (scenarios, uncertainty) with errors that name file and line."""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any

_LINE = re.compile(r"line (\d+)")


def parse_toml(text: str, path: str | os.PathLike[str], error: type[Exception]) -> dict[str, Any]:
    r"""Parse ``text`` read from ``path``; a syntax error becomes ``error`` naming file and line.

    Examples
    --------
    >>> parse_toml('name = "baseline"', "s.toml", ValueError)
    {'name': 'baseline'}
    >>> parse_toml("a = 1\nb = = 2", "s.toml", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: s.toml:2: malformed TOML: Invalid value (at line 2, column 5)
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE.search(str(exc))
        line = f":{m.group(1)}" if m else ""
        raise error(f"{path}{line}: malformed TOML: {exc}") from None


def decode_utf8(data: bytes, path: str | os.PathLike[str], error: type[Exception]) -> str:
    r"""``data`` as UTF-8 text; otherwise ``error`` naming the file, line and column.

    Examples
    --------
    >>> decode_utf8("a = 'é'".encode(), "s.toml", ValueError)
    "a = 'é'"
    >>> decode_utf8(b"a = 1\nb = '\xe9'", "s.toml", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: s.toml:2: byte 0xe9 at column 6 is not UTF-8; save the file as UTF-8 (TOML files are always UTF-8)
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(
            f"{path}:{line}: byte 0x{data[exc.start]:02x} at column {col} is not UTF-8; save the "
            "file as UTF-8 (TOML files are always UTF-8)"
        ) from None
