"""Names, types and small checks shared by every layer of the package (it imports no other module
of sdmodels but :mod:`sdmodels.errors`).

>>> CONTROL_NAMES["time_step"]
'TIME STEP'
>>> check_positive_int(3, "n")
3
>>> format_number(18_740_000.0), format_number(0.123456), format_number(None)
('18.74M', '0.1235', '?')
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any, Literal

import numpy as np

from sdmodels.errors import SDModelsError

__all__ = [
    "CONTROL_NAMES",
    "DEFAULT_ENGINE",
    "ENGINES",
    "PALETTE",
    "Engine",
    "LazyModule",
    "check_positive_int",
    "dependency_version",
    "format_number",
    "gc_paused",
    "package_version",
    "raise_if_interrupted",
    "record_interrupt",
    "renamed_option",
    "was_interrupted",
]

#: Vensim control variables by PySD Python name, in the order the compiler keeps them.
CONTROL_NAMES: dict[str, str] = {
    "initial_time": "INITIAL TIME",
    "final_time": "FINAL TIME",
    "time_step": "TIME STEP",
    "saveper": "SAVEPER",
}

#: Which engine runs a model: the compiled batch kernel, PySD (the reference semantics), or
#: ``"auto"`` (compiled where the model is supported, PySD otherwise, with one warning).
Engine = Literal["auto", "compiled", "pysd"]
ENGINES: tuple[str, ...] = ("auto", "compiled", "pysd")
#: The default ``engine=`` of every run and analysis.
DEFAULT_ENGINE: Engine = "auto"


#: The colours of every figure: the Okabe–Ito colour-blind-safe palette.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)


class LazyModule:
    """A module imported on first use: ``pysd = LazyModule("pysd")`` at the top of a module.

    A heavy required dependency (PySD, numba, matplotlib, SALib) is named at module level like any
    import, but only loaded when one of its attributes is first read, so that ``import sdmodels``
    and ``sdmodels --help`` do not pay for what a command never uses. Only for third-party
    modules: a module of sdmodels is imported normally, so that the import graph (and the
    architecture test that walks it) shows every edge.

    Built on :func:`importlib.import_module` rather than :class:`importlib.util.LazyLoader`: the
    latter puts a not-yet-executed module into ``sys.modules`` for every other importer, and
    before Python 3.12 a second thread could see it half loaded (CPython issue gh-114763; the
    dashboard computes in threads).

    Examples
    --------
    >>> json = LazyModule("json")
    >>> json
    <lazy module 'json'>
    >>> json.dumps([1]), json
    ('[1]', <module 'json'>)

    ``quiet`` names warning categories that the import itself may give and that are silenced
    while it runs (arviz announces a coming refactor with a FutureWarning on import); warnings
    the module gives later, when used, are untouched. The filter applies whoever reads the first
    attribute, including introspection such as doctest's search for ``__wrapped__``.

    ``hide`` names optional dependencies that the module tries to import for features sdmodels
    never uses, and that must not be loaded with it: while the import runs they are marked absent
    in ``sys.modules`` (so the module's own ``try: import ... except ImportError`` takes its
    fallback), then unmarked, so that a later ``import`` of them by anyone works as usual. A
    module already imported is never hidden.
    """

    __slots__ = ("_lazy_hide", "_lazy_module", "_lazy_name", "_lazy_quiet")

    def __init__(self, name: str, *, quiet: tuple[type[Warning], ...] = (),
                 hide: tuple[str, ...] = ()) -> None:
        self._lazy_name = name
        self._lazy_quiet = quiet
        self._lazy_hide = hide
        self._lazy_module: ModuleType | None = None

    def _load(self) -> ModuleType:
        module = self._lazy_module
        if module is None:
            # the import lock makes a first use from two threads safe
            with warnings.catch_warnings():
                for category in self._lazy_quiet:
                    warnings.simplefilter("ignore", category)
                hidden = [name for name in self._lazy_hide if name not in sys.modules]
                for name in hidden:
                    sys.modules[name] = None  # type: ignore[assignment]  # "import name" fails
                try:
                    module = self._lazy_module = importlib.import_module(self._lazy_name)
                finally:
                    for name in hidden:
                        if sys.modules.get(name, False) is None:
                            del sys.modules[name]
            # a Ctrl-C that an extension module's initialisation swallowed (lxml's, reached
            # from openpyxl from PySD, drops a KeyboardInterrupt raised inside its abc.register
            # calls) is raised here, once the import is done
            raise_if_interrupted()
        return module

    def __getattr__(self, attr: str) -> Any:
        # called only for names the stand-in itself lacks, i.e. the module's own
        return getattr(self._load(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in LazyModule.__slots__:
            object.__setattr__(self, attr, value)
        else:  # setting a module attribute sets it on the module
            setattr(self._load(), attr, value)

    def __repr__(self) -> str:
        state = "lazy module" if self._lazy_module is None else "module"
        return f"<{state} {self._lazy_name!r}>"


_INTERRUPTS = [0]  # Ctrl-Cs the command line's handler has seen


def record_interrupt() -> None:
    """Note a Ctrl-C (or SIGTERM) from the command line's signal handler.

    The handler raises :class:`KeyboardInterrupt` as usual; this record is for the places where
    a third-party library swallows that exception (an extension module's initialisation can):
    :func:`raise_if_interrupted` raises it again where it matters, before a result is published.
    Only the ``sdmodels`` command records interrupts; the Python API never does.
    """
    _INTERRUPTS[0] += 1


def was_interrupted() -> bool:
    """Whether the command line's handler has recorded a Ctrl-C or SIGTERM."""
    return _INTERRUPTS[0] > 0


def raise_if_interrupted() -> None:
    """Raise :class:`KeyboardInterrupt` if the command has been interrupted (see above).

    Called after a lazy import and before a result file replaces its earlier version, so that an
    interrupted command never ends in success or leaves a file.

    >>> raise_if_interrupted()  # nothing recorded: nothing happens
    """
    if was_interrupted():
        raise KeyboardInterrupt


_GC_LOCK = threading.Lock()
_GC_PAUSES = [0, False]  # blocks inside gc_paused, and whether the collector was on before


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and back as it was after it).

    A compile allocates millions of objects that live until it ends (PySD's parse tree, numba's
    IR and types), and the collector's generational passes scan them again and again: 0.8 s of
    the NHS model's 2.9 s translation and 1.2 s of its 6.5 s numba compile (3 December 2026).
    Nested or concurrent blocks keep the collector off until the last one ends.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    with _GC_LOCK:
        if _GC_PAUSES[0] == 0:
            _GC_PAUSES[1] = gc.isenabled()
            gc.disable()
        _GC_PAUSES[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES[0] -= 1
            if _GC_PAUSES[0] == 0 and _GC_PAUSES[1]:
                gc.enable()


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed version of sdmodels (``"0+unknown"`` in a source tree without install)."""
    try:
        return version("sdmodels")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


@lru_cache(maxsize=None)
def dependency_version(name: str) -> str:
    """The installed version of the distribution ``name`` (``pysd``, ``numba``...), read from its
    metadata: recording it in a result or a cache key does not import the package.

    >>> dependency_version("numpy") == np.__version__
    True
    """
    return version(name)


def check_positive_int(
    value: Any, name: str, *, error: type[Exception] = SDModelsError, hint: str = ""
) -> int:
    """``value`` as an ``int`` if it is a positive integer (not a bool), else raise ``error``.

    Examples
    --------
    >>> check_positive_int(0, "chunk_size", error=ValueError)
    Traceback (most recent call last):
    ...
    ValueError: chunk_size must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise error(f"{name} must be a positive integer, got {value!r}{hint}")
    return int(value)


def format_number(value: Any, *, compact: bool = True, digits: int = 4) -> str:
    """A number as tables and messages show it.

    ``compact`` (tables): ``digits`` significant figures, large magnitudes as ``18.74M`` or ``992.3k``,
    ``"-"`` for NaN. Otherwise (declared ranges and changed values in messages) every digit the
    value has (``g``). ``None`` (an open range bound) is ``"?"``; an array (a subscripted or
    time-series value) is its flattened elements in brackets; anything else but a float is
    ``str(value)``.

    Examples
    --------
    >>> format_number(992_300.0), format_number(2.5e9), format_number(float("nan")), format_number(7)
    ('992.3k', '2.5G', '-', '7')
    >>> format_number(50_000.0, compact=False), format_number(0.123456, compact=False)
    ('50000', '0.123456')
    >>> format_number(np.array([[1.0, 2.5]]), compact=False), format_number([1e6, 3.0])
    ('[1, 2.5]', '[1M, 3]')
    >>> format_number(0.123456, digits=3), format_number(123_456.0, digits=3)
    ('0.123', '123k')
    """
    if value is None:
        return "?"
    if np.ndim(value):
        return "[" + ", ".join(format_number(x, compact=compact, digits=digits)
                          for x in np.ravel(value)) + "]"
    if isinstance(value, np.generic):
        value = value.item()
    if not compact:
        return f"{value:g}"
    if isinstance(value, float):
        if np.isnan(value):
            return "-"
        for above, unit, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
            if abs(value) >= above:
                return f"{value / unit:.{digits}g}{suffix}"
        return f"{value:.{digits}g}"
    return str(value)


def renamed_option(value: Any, old_value: Any, *, old: str, new: str, where: str) -> Any:
    """The value of option ``new``, taking its former spelling ``old`` for one more release with
    a :class:`DeprecationWarning` (``None`` means "not given" for both).

    Raises
    ------
    TypeError
        Both spellings given.
    """
    if old_value is None:
        return value
    if value is not None:
        raise TypeError(f"{where}: give {new}= only ({old}= is its former spelling)")
    warnings.warn(
        f"{where}: {old}= is deprecated and will be removed in the next release; use {new}=",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value
