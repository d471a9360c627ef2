"""Sanitised identifiers for generated source.

Every identifier written into generated code comes from :func:`sanitize`, so it
matches ``[a-z_][a-z0-9_]*``; a :class:`Namer` prefixes identifiers by role
(which keeps them clear of Python keywords and of the kernel's own names) and
makes them unique.
"""

from __future__ import annotations

import keyword
import re

__all__ = ["Namer", "sanitize"]

_INVALID = re.compile(r"[^a-z0-9_]+")


def sanitize(text: str) -> str:
    """Return a lower-case identifier fragment made of ``[a-z0-9_]`` only.

    Examples
    --------
    >>> sanitize("Nurses (FTE) per £m")
    'nurses_fte_per_m'
    >>> sanitize("2nd stage")
    '2nd_stage'
    >>> sanitize("%%")
    'x'
    """
    out = _INVALID.sub("_", text.lower()).strip("_")
    out = re.sub("_+", "_", out)
    return out or "x"


class Namer:
    """Hand out unique, prefixed, sanitised identifiers.

    Examples
    --------
    >>> n = Namer()
    >>> n.make("v", "Stock A"), n.make("v", "stock a"), n.make("v", "stock_a_2")
    ('v_stock_a', 'v_stock_a_2', 'v_stock_a_2_2')
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    def reserve(self, *names: str) -> None:
        """Keep ``names`` (the kernel's own locals) out of the identifiers handed out.

        Examples
        --------
        >>> n = Namer()
        >>> n.reserve("v_time")
        >>> n.make("v", "time")
        'v_time_2'
        """
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"invalid reserved identifier {name!r}")
            self._used.add(name)

    def make(self, prefix: str, *parts: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9]*", prefix):
            raise ValueError(f"invalid identifier prefix {prefix!r}")
        base = "__".join([prefix + "_" + sanitize(parts[0])] + [sanitize(p) for p in parts[1:]])
        name = base
        k = 2
        while name in self._used or keyword.iskeyword(name):
            name = f"{base}_{k}"
            k += 1
        self._used.add(name)
        return name
