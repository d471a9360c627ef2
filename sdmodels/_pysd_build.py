"""Hand an untrusted model to PySD's Python builder without letting its text become code.

PySD's builder writes a Python module from the abstract model and sdmodels imports it.
Most model text reaches that module through ``repr()`` (names, units), but PySD pastes a
few texts raw: element documentation into a docstring, the names of data elements and
the strings of ``GET ...`` functions into quoted literals, and the file name into the
module docstring. :func:`prepare_for_builder` escapes or refuses those before the
build; :func:`check_translation` then parses the module PySD wrote (without running it)
and refuses anything a translation never contains: imports other than PySD's own,
calls standing alone as statements, dunder attributes, ``eval``/``exec``/``open`` and
the like. Both run before the module is imported, and the check runs again each time a
cached translation is loaded.

PySD's *translator* also calls :func:`eval` on pieces of model text while parsing: numbers,
quoted strings, lookup points and, unchecked by its grammar, a lookup's ``[(x0,y0)-(x1,y1)]``
range, which can hold any expression. :func:`literal_eval_in_translators` replaces that
``eval`` by a literal-only evaluator (numbers, strings, tuples, lists), so parsing a
model file never runs code; PySD has no option for this, hence the substitution of the
module-level name.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

from sdmodels._common import LazyModule
from sdmodels.errors import ModelLoadError

# PySD is loaded when a model is first translated, not when sdmodels is imported
_vensim_element = LazyModule("pysd.translators.vensim.vensim_element")
_xmile_element = LazyModule("pysd.translators.xmile.xmile_element")

__all__ = ["check_translation", "literal_eval_in_translators", "prepare_for_builder", "safe_file_stem"]

#: Modules a PySD translation imports (``pysd.builders.python.imports``).
_ALLOWED_IMPORTS = {"pathlib", "numpy", "xarray", "scipy", "pysd"}
#: Names no translation uses and which would let text run code or touch files.
_FORBIDDEN_NAMES = {
    "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "breakpoint", "input", "exit", "quit", "help",
    "memoryview", "__builtins__", "builtins", "os", "sys", "subprocess", "importlib",
    "shutil", "socket", "pickle", "exec_module", "system", "popen", "load_modules",
}
_ALLOWED_DUNDERS = {"__file__", "__pysd_version__"}
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f'\\\u0085\u2028\u2029]")
_NON_PRINTABLE = re.compile(r"[^\S\n\t ]|[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029]")


def _literal_eval(text: object, *_args: object) -> object:
    """What PySD's translators evaluate (literals only); anything else is a model error."""
    if not isinstance(text, str):
        raise ModelLoadError(f"unexpected value {text!r} in the model's equations")
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        err = ModelLoadError(
            f"{text[:80]!r} stands where a number, a quoted text or a list of numbers is "
            "expected (for example a lookup's range [(0,0)-(10,10)]); write a literal value there"
        )
        err.snippet = text.strip().lstrip("[").split("),(")[0][:40]
        raise err from None


def literal_eval_in_translators() -> None:
    """Make PySD's Vensim and XMILE translators evaluate literals only (idempotent)."""
    for module in (_vensim_element, _xmile_element):
        module.eval = _literal_eval  # shadows the builtin for that module only


def safe_file_stem(stem: str) -> str:
    """A file stem made of ``[A-Za-z0-9_-]`` only (for the copy PySD translates).

    Examples
    --------
    >>> safe_file_stem("x';__import__('os');'")
    'x_import_os'
    >>> safe_file_stem("nhs_productivity")
    'nhs_productivity'
    """
    out = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)
    out = re.sub("_+", "_", out).strip("_")
    return out or "model"


def safe_doc(text: str) -> str:
    """Documentation that cannot end PySD's ``\"\"\"`` docstring or break its source.

    A run of three or more double quotes becomes single quotes; characters that are not
    printable (other than newline and tab) are dropped. PySD itself turns each
    backslash into a line break.

    Examples
    --------
    >>> safe_doc('say \"\"\"hi\"\"\"; x')
    "say '''hi'''; x"
    >>> safe_doc('ends with a quote"')
    'ends with a quote"'
    """
    text = re.sub(r'"{3,}', lambda m: "'" * len(m.group()), text)
    return _NON_PRINTABLE.sub("", text)


def _walk(node: Any):
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _walk(getattr(node, f.name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _walk(item)


def _refuse(element: str, what: str, text: str, file: str) -> None:
    raise ModelLoadError(
        f"{file}: element {element!r}: {what} {text!r} contains a quote, a backslash or a "
        "control character, which sdmodels refuses because the PySD translation would paste "
        "it into Python code unquoted; rename it without those characters"
    )


def prepare_for_builder(abstract: Any, *, file: str) -> Any:
    """Escape or refuse, in place, the texts PySD's builder pastes into code unescaped.

    Parameters
    ----------
    abstract
        PySD's ``AbstractModel`` (a fresh translation: it is modified).
    file
        The model file, for messages.

    Returns
    -------
    The same abstract model.

    Raises
    ------
    ModelLoadError
        A data element's name or a ``GET ...`` argument contains a quote, backslash or
        control character.
    """
    for section in abstract.sections:
        for element in section.elements:
            if element.documentation:
                element.documentation = safe_doc(element.documentation)
            for component in element.components:
                if type(component).__name__ == "AbstractData" and _UNSAFE_CHARS.search(
                    element.name
                ):
                    _refuse(element.name, "the name of the data element", element.name, file)
                for node in _walk(component.ast):
                    cls = type(node).__name__
                    if not cls.startswith("Get") or not dataclasses.is_dataclass(node):
                        continue
                    for f in dataclasses.fields(node):
                        value = getattr(node, f.name)
                        if not isinstance(value, str):
                            continue
                        bad = _UNSAFE_CHARS.search(value.replace("\\", "") if f.name == "file"
                                                   else value)
                        if bad or (f.name == "file" and (value.endswith("\\") or "'" in value)):
                            _refuse(element.name, f"the {f.name} argument", value, file)
    return abstract


def _problem(node: ast.AST) -> str | None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for name in names:
            if name.split(".")[0] not in _ALLOWED_IMPORTS:
                return f"an import of {name!r}"
    elif isinstance(node, ast.Name):
        if node.id in _FORBIDDEN_NAMES:
            return f"the name {node.id!r}"
        if node.id.startswith("__") and node.id.endswith("__") and node.id not in _ALLOWED_DUNDERS:
            return f"the name {node.id!r}"
    elif isinstance(node, ast.Attribute):
        if node.attr in _FORBIDDEN_NAMES or (node.attr.startswith("__") and node.attr.endswith("__")):
            return f"the attribute {node.attr!r}"
    elif isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
        # PySD's only bare statements: ``_obj.add(...)`` for further cells of a lookup/data
        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "add" and isinstance(call.func.value, ast.Name)):
            return "a statement that is a bare expression"
    elif isinstance(node, (ast.Global, ast.Nonlocal, ast.With, ast.AsyncWith, ast.Try,
                           ast.ClassDef, ast.AsyncFunctionDef, ast.Delete, ast.While)):
        return f"a {type(node).__name__} statement"
    return None


def check_translation(path: Path, *, model_file: str) -> None:
    """Refuse a PySD translation that contains code no translation contains.

    The module is parsed, never run. A translation that cannot be parsed or that
    contains an unexpected construct is deleted (so the next load translates afresh)
    and reported.

    Raises
    ------
    ModelLoadError
        The translation contains an unexpected construct; the message names it.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        path.unlink(missing_ok=True)
        raise ModelLoadError(
            f"{model_file}: PySD's translation of this model is not valid Python ({exc}); it "
            "has been deleted; run the command again, and if this repeats, check the model's "
            "names and comments for unusual characters"
        ) from None
    for node in ast.walk(tree):
        problem = _problem(node)
        if problem is not None:
            path.unlink(missing_ok=True)
            line = getattr(node, "lineno", "?")
            raise ModelLoadError(
                f"{model_file}: refusing to load PySD's translation of this model: it contains "
                f"{problem} (line {line} of the translation), which no model equation produces; "
                "the model's text may be crafted to run code. Check the names, comments and "
                "units of the model file"
            )
