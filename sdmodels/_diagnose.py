"""Turn what goes wrong while reading a model file into messages that say what, where and how to fix.

PySD's translator raises parser errors that point into one equation, ``KeyError`` for an
undefined name, or decode errors for a binary file. The functions here check the file
before PySD reads it (encoding, binary content) and translate PySD's errors into
:class:`~sdmodels.errors.ModelLoadError` messages naming the file, the line and the
element, with the fix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from pathlib import Path

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.errors import ModelLoadError, SDModelsError, closest_names

# PySD is loaded when a model is first checked, not when sdmodels is imported
_pysd_namespace = LazyModule("pysd.builders.python.namespace")

__all__ = ["check_abstract", "line_of", "model_encoding", "translation_error"]

_CONTROLS = ("INITIAL TIME", "FINAL TIME", "TIME STEP")

_VENSIM_MARK = re.compile(rb"^\s*\{([A-Za-z0-9_-]+)\}")


def _line_col(data: bytes, pos: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, pos) + 1
    col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return line, col


def model_encoding(path: str | Path, *, display: str | Path | None = None) -> str:
    """The text encoding of a Vensim ``.mdl`` file, checked so that no character is lost.

    Vensim writes ``{UTF-8}`` in the first line of a UTF-8 file and ``{ANSI}`` (the
    Windows code page, cp1252 for English) otherwise. A file marked UTF-8 must decode as
    UTF-8; a file without the mark is read as UTF-8 if it decodes so, else as cp1252.

    Raises
    ------
    ModelLoadError
        The file is binary (contains NUL bytes), or is marked UTF-8 and is not, or decodes
        in neither encoding; the message gives the line and column of the first bad byte.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = p.write_bytes("{UTF-8}\\nCafé Rate = 1 ~~|".encode("utf-8"))
    >>> model_encoding(p)
    'utf-8'
    >>> _ = p.write_bytes("Café Rate = 1 ~~|".encode("cp1252"))
    >>> model_encoding(p)
    'cp1252'
    """
    data = Path(path).read_bytes()
    path = Path(display) if display is not None else Path(path)
    nul = data.find(b"\x00")
    if nul >= 0 or (data and sum(b < 9 or 13 < b < 32 for b in data[:4096]) > 8):
        where = nul if nul >= 0 else next(i for i, b in enumerate(data) if b < 9 or 13 < b < 32)
        line, col = _line_col(data, where)
        raise ModelLoadError(
            f"{path}: this is not a text model file (binary content at line {line}, column "
            f"{col}); give the Vensim .mdl text file (File > Save As in Vensim), not a .vmf/.vpm "
            "or a damaged copy"
        )
    mark = _VENSIM_MARK.match(data)
    declared = mark.group(1).decode("ascii").upper() if mark else None
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc
    line, col = _line_col(data, bad.start)
    if declared in ("UTF-8", "UTF8"):
        raise ModelLoadError(
            f"{path}: the file says {{UTF-8}} in its first line but byte 0x{data[bad.start]:02x} "
            f"at line {line}, column {col} is not UTF-8; re-save the file as UTF-8 (or replace "
            "the first line by {ANSI} if it is in the Windows code page)"
        )
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        raise ModelLoadError(
            f"{path}: byte 0x{data[bad.start]:02x} at line {line}, column {col} is neither UTF-8 "
            "nor Windows-1252 text; re-save the model from Vensim as UTF-8"
        ) from None
    return "cp1252"


def line_of(path: Path, snippet: str, *, encoding: str = "utf-8") -> int | None:
    """Line number (1-based) of the first occurrence of ``snippet`` in the file, if any."""
    snippet = snippet.strip()
    if not snippet:
        return None
    try:
        text = path.read_text(encoding=encoding, errors="replace")
    except OSError:
        return None
    text = text.lower()
    for probe in (snippet, snippet.splitlines()[0][:60]):
        i = text.find(probe.lower())
        if i >= 0:
            return text.count("\n", 0, i) + 1
    return None


def _element_of(path: Path, line: int, *, encoding: str) -> str | None:
    """Name of the Vensim element whose definition contains ``line``."""
    try:
        lines = path.read_text(encoding=encoding, errors="replace").splitlines()
    except OSError:
        return None
    # an element starts after the previous "|" and its name precedes the first "=" / "("
    start = line - 1
    while start > 0 and not lines[start - 1].rstrip().endswith("|"):
        start -= 1
    head = " ".join(lines[start:line]).strip()
    head = re.sub(r"^\{[A-Za-z0-9_-]+\}\s*", "", head)  # the encoding mark of line 1
    m = re.match(r'\s*("(?:[^"\\]|\\.)*"|[^=(:~|]+)', head)
    return m.group(1).strip() if m and m.group(1).strip() else None


def _innermost(exc: BaseException) -> BaseException:
    """The error underneath parsimonious's ``VisitationError`` wrappers."""
    seen = {id(exc)}
    while type(exc).__name__ == "VisitationError":
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        exc = inner
    return exc


def translation_error(exc: BaseException, path: Path) -> ModelLoadError:
    """A :class:`ModelLoadError` for an exception raised while PySD translated ``path``."""
    if isinstance(exc, ModelLoadError):
        return exc
    encoding = "utf-8"
    if path.suffix.lower() == ".mdl":
        try:
            encoding = model_encoding(path)
        except ModelLoadError as err:
            return err
    exc = _innermost(exc)
    if isinstance(exc, ModelLoadError):
        snippet = getattr(exc, "snippet", "")
        line = line_of(path, snippet, encoding=encoding) if snippet else None
        element = _element_of(path, line, encoding=encoding) if line else None
        where = f", line {line}" + (f" (element {element})" if element else "") if line else ""
        return ModelLoadError(f"{path}{where}: {exc}")
    kind = type(exc).__name__
    text = getattr(exc, "text", None)
    pos = getattr(exc, "pos", None)
    if isinstance(text, str) and isinstance(pos, int):  # parsimonious ParseError
        eq_line = text.count("\n", 0, pos) + 1
        fragment = text[pos : pos + 40].splitlines()[0] if text[pos:].strip() else ""
        base = line_of(path, text, encoding=encoding)
        line = base + eq_line - 1 if base else line_of(path, fragment, encoding=encoding)
        where = f"line {line}" if line else "an equation"
        element = _element_of(path, line, encoding=encoding) if line else None
        what = (
            f"cannot translate the text from {fragment!r} on"
            if fragment
            else "cannot translate: the file ends in the middle of a definition (truncated?) at"
        )
        elem = f" (element {element})" if element else ""
        if re.match(r"\([^()|~]*:[^()|~]*\)", fragment):
            # SMOOTH GAP(x, 2 : the gap): Vensim's syntax for a macro's extra outputs
            return ModelLoadError(
                f"{path}: a macro call naming extra outputs, {fragment!r} on {where}{elem}: "
                "PySD's parser refuses the ':' in a call, so neither engine reads the model (and "
                "Vensim discourages output arguments); drop ': ...' from the call and define "
                "what it named as its own variable"
            )
        return ModelLoadError(
            f"{path}: {what} {where}{elem}; check the equation's syntax there (operators, "
            "parentheses, the '~ units ~ comment |' parts); the file must open in Vensim "
            "without errors"
        )
    if path.suffix.lower() != ".mdl" and isinstance(exc, KeyError | AttributeError | TypeError
                                                    | IndexError):
        return ModelLoadError(
            f"{path}: not a complete XMILE model ({type(exc).__name__}: {exc}); an XMILE file "
            "needs <sim_specs> (start, stop, dt) and <model><variables> with named elements; "
            "export it again from the modelling tool"
        )
    if isinstance(exc, KeyError):
        name = str(exc.args[0]) if exc.args else "?"
        line = line_of(path, name.replace("_", " "), encoding=encoding)
        at = f" (line {line})" if line else ""
        return ModelLoadError(
            f"{path}: an equation refers to {name!r}{at}, which the model does not define; "
            "correct the spelling or add the variable"
        )
    if isinstance(exc, (UnicodeDecodeError, LookupError)):
        return ModelLoadError(
            f"{path}: the file cannot be decoded ({exc}); re-save it as UTF-8 text"
        )
    if path.suffix.lower() != ".mdl" and kind in ("XMLSyntaxError", "ParseError"):
        return ModelLoadError(
            f"{path}: not a well-formed XMILE file ({exc}); fix the XML at that line or export "
            "the model again"
        )
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else kind
    return ModelLoadError(
        f"{path}: cannot translate the model ({kind}: {detail}); check the equations near "
        "the element named here; the file must open in Vensim (or Stella for XMILE) without "
        "errors"
    )


def _references(node: object):
    """Names referenced anywhere in an abstract-syntax tree."""
    if type(node).__name__ == "ReferenceStructure":
        yield node.reference
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name == "function" and type(node).__name__ == "CallStructure":
                continue  # a builtin function's name, not a model element
            yield from _references(getattr(node, f.name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _references(item)


def check_abstract(abstract: object, path: Path) -> None:
    """Refuse an abstract model PySD's builder would fail on with a bare ``KeyError``.

    Checks that the control variables exist and that every referenced name is defined
    (an element, a subscript range or value, or a PySD builtin).

    Raises
    ------
    ModelLoadError
        Naming the missing control variables, or the undefined name, the element that uses
        it, its line and the closest defined names.
    """
    section = abstract.sections[0]
    names = {e.name.upper() for e in section.elements}
    missing = [c for c in _CONTROLS if c not in names]
    if missing:
        raise ModelLoadError(
            f"{path}: the model does not define {', '.join(missing)}; add the simulation "
            "control section (INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER), as Vensim "
            "writes it at the end of every model" + (" (is the file truncated?)" if
                                                      len(missing) == len(_CONTROLS) else "")
        )
    ns = _pysd_namespace.NamespaceManager()
    defined: dict[str, str] = {}
    for e in section.elements:
        ns.add_to_namespace(e.name)
        defined[ns.namespace[e.name]] = e.name
    for sub in section.subscripts:
        for n in [sub.name, *(sub.subscripts if isinstance(sub.subscripts, list) else [])]:
            ident = _pysd_namespace.NamespaceManager().make_python_identifier(n)
            defined[ident[0] if isinstance(ident, tuple) else ident] = n
            defined[" ".join(n.split()).lower().replace(" ", "_")] = n
    # references in the AST are "clean" names (lower case, underscores), mapped by cleanspace
    defined.update({clean: clean for clean in ns.cleanspace})
    builtin = set(ns.namespace.values()) | {"time"}
    macros = {getattr(m, "name", "") for m in abstract.sections[1:]}
    for e in section.elements:
        for comp in e.components:
            for ref in _references(comp.ast):
                if ref in defined or ref in builtin or ref in macros:
                    continue
                spelled = ref.replace("_", " ")
                line = line_of(path, spelled) or line_of(path, e.name)
                hint = closest_names(spelled, [el.name for el in section.elements])
                near = ("; did you mean " + ", ".join(repr(h) for h in hint) + "?") if hint else (
                    "; define it or correct the spelling")
                truncated = "" if hint else " (if the definition should be there, the file may be truncated)"
                raise ModelLoadError(
                    f"{path}" + (f", line {line}" if line else "")
                    + f": element {e.name!r} uses {spelled!r}, which the model does not define"
                    + near + truncated
                )


def algebraic_loop_error(exc: BaseException, path: Path) -> ModelLoadError | None:
    """A clear error for the compiler's algebraic-loop report (``None`` for anything else).

    Neither engine can run simultaneous equations: PySD recurses until Python's limit.
    """
    function = str(getattr(exc, "function", ""))
    if "algebraic loop" not in function:
        return None
    names = str(getattr(exc, "element", "") or "").strip()
    on = f" among {names}" if names else ""
    return ModelLoadError(
        f"{path}: algebraic loop{on}: each of these needs the others at the same time step "
        "(simultaneous equations), which neither the compiled engine nor PySD can run; break "
        "the loop with a stock (INTEG), a delay or SMOOTH, or an INITIAL value on one of them"
    )


def _where_in_pysd(exc: BaseException, model: object) -> tuple[str, str]:
    """(" in element 'x'", " at time t") of an error raised in a PySD run, each "" if unknown."""
    element = None
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame in the translated model is the element
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".py") and "pysd" in code.co_filename and \
                "/site-packages/" not in code.co_filename:
            element = code.co_name
        tb = tb.tb_next
    names: dict[str, str] = {}
    with contextlib.suppress(Exception):  # the message is still useful without the name
        names = {v.py_name: v.name for v in model.variables.values()}  # type: ignore[attr-defined]
    when = ""
    with contextlib.suppress(Exception):
        when = f" at time {float(model.pysd.time()):g}"  # type: ignore[attr-defined]
    return (f" in element {names.get(element, element)!r}" if element else ""), when


def pysd_run_error(exc: BaseException, model: object) -> ModelLoadError | None:
    """A clear error for what stops a PySD run (``None`` if unknown): an algebraic loop
    (RecursionError), a function PySD does not implement (NotImplementedError) or a division
    by zero, naming the element and the time."""
    path = getattr(model, "path", "model")
    if isinstance(exc, RecursionError):
        try:
            model.compiled()  # type: ignore[attr-defined]
        except Exception as compile_exc:  # noqa: BLE001 - only its loop report matters
            err = algebraic_loop_error(compile_exc, path)
            if err is not None:
                return err
        return ModelLoadError(
            f"{path}: PySD recursed without end while evaluating the model, which means an "
            "algebraic loop (variables that need each other at the same time step); break it "
            "with a stock (INTEG), a delay or SMOOTH"
        )
    if isinstance(exc, NotImplementedError):
        what, when = _where_in_pysd(exc, model)
        return ModelLoadError(
            f"{path}: PySD does not implement what the model uses{what}{when} ({exc}); run it "
            "with engine=\"auto\" or \"compiled\", which run Vensim's RANDOM BETA, BINOMIAL, "
            "NEGATIVE BINOMIAL, LOOKUP, POISSON, TRIANGULAR and WEIBULL and GET TIME VALUE(1, "
            "offset, 0) (docs/compiler.md lists what each engine runs)"
        )
    if isinstance(exc, ValueError) and "data variable before loading the data" in str(exc):
        # PySD's Data.__call__ of a data variable that no data file given at load time holds
        name = str(exc).split("\n")[0].strip()
        with contextlib.suppress(Exception):
            name = {v.py_name: v.name for v in model.variables.values()}.get(  # type: ignore[attr-defined]
                name.removeprefix("_data_"), name)
        return ModelLoadError(
            f"{path}: element {name!r} is a data variable without an equation and no data "
            "file given holds it; pass the file with load_model(path, data_files=[...]) (or "
            "--data FILE on the command line), a .tab or .csv file with a Time column and a "
            "column per variable"
        )
    if isinstance(exc, ZeroDivisionError | FloatingPointError):
        what, when = _where_in_pysd(exc, model)
        return ModelLoadError(
            f"{path}: division by zero{what}{when} (PySD stops there; the compiled engine "
            "continues with inf/NaN and warns); check that the divisor cannot reach zero, for "
            "example with MAX(divisor, a small number) or ZIDZ/XIDZ"
        )
    return None


def non_finite_report(ds: object, names: dict[str, str] | None = None) -> str | None:
    """Where a result first holds inf or NaN: the time and the variables, or ``None``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"a": ("time", [1.0, np.inf, np.nan]), "b": ("time", [1.0, 2.0, np.nan])},
    ...                 coords={"time": [0.0, 1.0, 2.0]})
    >>> non_finite_report(ds)
    "time 1: 'a' (later also 'b')"
    """
    first: dict[str, float] = {}
    variables = ds.variables  # type: ignore[attr-defined]
    # by Variable, not DataArray: each ds[name] costs time in proportion to the number of
    # variables (a model of hundreds of variables took longer here than simulating)
    for name in ds.data_vars:  # type: ignore[attr-defined]
        da = variables[name]
        if "time" not in da.dims or da.dtype.kind != "f":
            continue
        bad = ~np.isfinite(da.values)
        if not bad.any():
            continue
        axis = da.dims.index("time")
        per_time = bad.reshape((*bad.shape[: axis + 1], -1)).any(axis=-1) if bad.ndim > axis + 1 \
            else bad
        other = tuple(i for i in range(per_time.ndim) if i != axis)
        any_t = per_time.any(axis=other) if other else per_time
        label = (names or {}).get(str(name), str(name))
        first[label] = float(variables["time"].values[int(np.argmax(any_t))])
    if not first:
        return None
    t0 = min(first.values())
    at = sorted(n for n, t in first.items() if t == t0)
    later = sorted(n for n, t in first.items() if t > t0)
    shown = ", ".join(repr(n) for n in at[:5]) + (f" and {len(at) - 5} more" if len(at) > 5 else "")
    rest = ""
    if later:
        rest = " (later also " + ", ".join(repr(n) for n in later[:5]) + (
            f" and {len(later) - 5} more" if len(later) > 5 else "") + ")"
    return f"time {t0:g}: {shown}{rest}"


def available_memory() -> int:
    """Bytes of memory available to this process now (physical memory if unknown)."""
    try:
        import psutil  # noqa: PLC0415 - optional dependency (comes with dask); sysconf otherwise

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with dask/distributed
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check_memory(needed: float, *, what: str, fix: str) -> None:
    """Refuse up front a computation whose arrays cannot fit in memory.

    Parameters
    ----------
    needed
        Estimated bytes.
    what
        What needs them, e.g. "--n 1,000,000,000: the design (N x 20 parameters x 8 bytes)".
    fix
        How to make it fit.

    Raises
    ------
    SDModelsError
        ``needed`` is more than 80% of the memory available now.

    Examples
    --------
    >>> check_memory(1024, what="a tiny array", fix="none needed")
    """
    free = available_memory()
    if needed > 0.8 * free:
        raise SDModelsError(
            f"{what} needs about {needed / 2**30:,.1f} GiB of memory, more than the "
            f"{0.8 * free / 2**30:,.1f} GiB limit (80% of the {free / 2**30:,.1f} GiB available "
            f"now); {fix}"
        )
