"""Model text in generated source: only ever as a one-line comment or a ``repr()`` literal.

Names, file names and labels come from the model file, which may be hostile. Generated
code never pastes them raw: a comment gets :func:`comment_text` (no line breaks, no
source-encoding declaration), a string gets :func:`repr`.
"""

from __future__ import annotations

import re

__all__ = ["comment_text"]

# what Python reads as an encoding declaration in a comment on line 1 or 2 (PEP 263)
_CODING = re.compile(r"coding([:=])", re.IGNORECASE)


def comment_text(text: object) -> str:
    """``text`` made safe for the rest of a ``#`` comment line.

    Every character Python or an editor could take as a line break (``\\n``, ``\\r``,
    form feed, ``\\u2028``, ...) or that is not printable is written as its escape
    sequence, so the comment cannot end early and inject a line; ``coding:`` is broken
    up so a comment can never declare the module's encoding.

    Examples
    --------
    >>> comment_text("stock\\nimport os")
    'stock\\\\nimport os'
    >>> comment_text("Café rate")
    'Café rate'
    >>> comment_text("x -*- coding: utf-7 -*-")
    'x -*- coding : utf-7 -*-'
    """
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return _CODING.sub(r"coding \1", out)
