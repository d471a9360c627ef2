"""Translate a model file into PySD's abstract model and collect what the compiler needs.

This mirrors the first half of PySD's own Python builder: the same
:class:`~pysd.builders.python.python_model_builder.SectionBuilder` assigns the
Python names (so that compiled outputs carry exactly PySD's names) and merges
the subscripts of each element.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdmodels._common import CONTROL_NAMES as _CONTROL_NAMES
from sdmodels._common import LazyModule
from sdmodels._diagnose import model_encoding, translation_error
from sdmodels._pysd_build import literal_eval_in_translators
from sdmodels.compiler._errors import UnsupportedFeature
from sdmodels.compiler._external import (
    read_data_variables,
    read_externals,
    resolve_external_subscripts,
)
from sdmodels.errors import ModelLoadError

# PySD loads on first use (``import sdmodels`` does not pay for it)
_vensim_file = LazyModule("pysd.translators.vensim.vensim_file")
_vensim_element = LazyModule("pysd.translators.vensim.vensim_element")
_xmile_file = LazyModule("pysd.translators.xmile.xmile_file")
_ae = LazyModule("pysd.translators.structures.abstract_expressions")
_am = LazyModule("pysd.translators.structures.abstract_model")
_model_builder = LazyModule("pysd.builders.python.python_model_builder")

__all__ = ["ElementInfo", "ModelInfo", "as_printed_by_pysd", "collect", "parse_vensim",
           "translate_file"]

#: The left side of an equation with nothing else: a name, perhaps subscripted (``observed``,
#: ``observed[region]``). Vensim reads it as a data variable whose values come from data files,
#: interpolated ("Interpolating a value (the default)", Vensim Help, Data Equations); PySD's
#: grammar needs the keyword (``observed :INTERPOLATE:``) and fails to parse it.
_KEYWORDLESS_DATA = re.compile(r"[^=:()<>~|\[\]\"]+(\[[^\]=:()<>~|]*\])?", re.DOTALL)

#: PySD names of the control variables, in the order the kernel receives them (the package's one
#: list, :data:`sdmodels._common.CONTROL_NAMES`, as a tuple for positions).
CONTROL_NAMES = tuple(_CONTROL_NAMES)


@dataclass
class ElementInfo:
    """One model element as the compiler sees it."""

    name: str  # Vensim name
    py_name: str  # PySD Python name
    dims: list[str]  # final subscript ranges of the element (PySD's merge)
    components: list[Any]  # AbstractComponent objects
    units: str = ""
    limits: tuple = (None, None)
    doc: str = ""
    control: bool = False
    kind: str = "aux"  # "constant", "lookup", "control", "aux"
    external: Any = None  # ExternalValues read from a data file (GET ... functions)


@dataclass
class ModelInfo:
    """Elements, subscripts and names of one model section."""

    file: str
    elements: dict[str, ElementInfo]  # by py_name
    clean_to_py: dict[str, str]  # references in the AST -> py_name
    subscripts: dict[str, list[str]]  # range name -> coordinates
    mapping: dict[str, list]  # range name -> mapped ranges
    extra: dict[str, Any] = field(default_factory=dict)


#: PySD's grammar of a model section (``section_elements.peg``) as regular expressions. The
#: grammar matches the documentation and every character outside a quoted name one node at a
#: time, so parsimonious builds a node for each character of the model text (half a million
#: nodes, 0.7 s, for the NHS model, whose comments cite their sources at length). Possessive
#: quantifiers and atomic groups do not backtrack, as a parsing expression grammar does not:
#: ``element = (escape_group / ~r"[^~|]")*`` with ``escape_group = "\"" ("\\\"" / ~r"[^\"]")*
#: "\""``; ``doc = (~r"[^~|]")*``.
_ELEMENT = r'(?:(?>"(?:\\"|[^"])*+")|[^~|])*+'
_ENTRY = re.compile(rf"({_ELEMENT})~({_ELEMENT})~([^~|]*+)(?:~{_ELEMENT})?\|")
_HEADER = re.compile(rf"{_ELEMENT}~{_ELEMENT}\|")


def split_section(content: str) -> list[tuple[str, str, str]] | None:
    """The ``(equation, units, documentation)`` of each entry of a Vensim model section, as PySD's
    ``VensimSection.parse`` finds them, or ``None`` when its grammar would not match the whole
    text (PySD's parser is then left to say why).

    ``model = (entry / section)+ sketch?``, where a section header (``element "~" element "|"``)
    yields no entry and ``sketch = ~r".*"`` (no newline) takes what is left.
    """
    entries, pos = [], 0
    while True:  # each match holds a "~" and a "|", so pos always moves on
        match = _ENTRY.match(content, pos)
        if match is not None:
            equation, units, doc = match.groups()
            entries.append((equation.strip(), units.strip(), doc.strip()))
        else:
            match = _HEADER.match(content, pos)
            if match is None:
                break
        pos = match.end()
    if pos == 0 or "\n" in content[pos:]:
        return None
    return entries


def _split_sections(parsed: Any) -> None:
    """``section.parse(parse_all=False)`` for each section, by :func:`split_section`."""
    for section in parsed.sections:
        found = split_section(section.content)
        if found is None:
            section.parse(parse_all=False)
        else:
            section.elements = [_vensim_element.Element(equation=e, units=u, documentation=d)
                                for e, u, d in found]


def parse_vensim(parsed: Any) -> None:
    """Parse a PySD ``VensimFile`` as its ``parse()`` does, reading a data variable written with
    no equation and no keyword (``observed ~ widgets ~ |``) as Vensim does: interpolated, the
    same as ``observed :INTERPOLATE:``. Every other equation is parsed as PySD parses it."""
    parsed.parse(parse_all=False)
    _split_sections(parsed)
    for section in parsed.sections:
        for element in section.elements:
            text = element.equation.strip()
            if text and _KEYWORDLESS_DATA.fullmatch(text):
                element.equation = f"{text} :INTERPOLATE:"
        # the rest of VensimSection.parse(parse_all=True), as PySD 3 writes it
        elements = [element.parse() for element in section.elements]
        section.subscripts = [e for e in elements if isinstance(e, _vensim_element.SubscriptRange)]
        section.components = [e for e in elements if isinstance(e, _vensim_element.Component)]
        section.constraints = [e for e in elements if isinstance(e, _vensim_element.Constraint)]
        section.test_inputs = [e for e in elements if isinstance(e, _vensim_element.TestInput)]
        section.elements = (section.subscripts + section.components + section.constraints
                            + section.test_inputs)
        for component in section.components + section.constraints + section.test_inputs:
            component.parse()


def translate_file(path: str | Path):
    """Translate a ``.mdl`` or ``.xmile``/``.xml``/``.stmx`` file into an ``AbstractModel``."""
    literal_eval_in_translators()  # PySD's translator would eval() pieces of model text
    path = Path(path)
    suffix = path.suffix.lower()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if suffix == ".mdl":
                parsed = _vensim_file.VensimFile(path, encoding=model_encoding(path))
            elif suffix in (".xmile", ".xml", ".stmx"):
                parsed = _xmile_file.XmileFile(path)
            else:
                raise ModelLoadError(
                    f"cannot compile {path}: unknown model format {suffix!r}; "
                    "use a Vensim .mdl or an XMILE .xmile file"
                )
            if suffix == ".mdl":
                parse_vensim(parsed)
            else:
                parsed.parse()
            return parsed.get_abstract_model()
        except Exception as exc:  # noqa: BLE001 - parsimonious and PySD raise many kinds
            raise translation_error(exc, path) from None


def as_printed_by_pysd(values: Any) -> Any:
    """Array values as PySD's builder writes them into a model (``np.array2string``).

    PySD prints literal arrays and lookup tables with numpy's default precision
    (8 decimals); the compiled engine uses the same numbers. The text is parsed
    number by number with :class:`float`, never evaluated.

    Examples
    --------
    >>> as_printed_by_pysd([0.123456789, 2]).tolist()
    [0.12345679, 2.0]
    """
    arr = np.asarray(values)
    text = np.array2string(arr.ravel(), separator=",", threshold=max(arr.size, 1))
    tokens = text.replace("[", "").replace("]", "").split(",")
    return np.array([float(tok.strip()) for tok in tokens], dtype=float).reshape(arr.shape)


def _is_literal(ast: Any) -> bool:
    return isinstance(ast, (int, float, np.ndarray, np.number)) and not isinstance(ast, bool)


def _first_user(section: Any, functions: set[str]) -> str | None:
    """Name of the first element whose equation calls one of ``functions``."""

    def calls(node: Any) -> bool:
        if isinstance(node, _ae.CallStructure) and node.function.reference in functions:
            return True
        if hasattr(node, "__dataclass_fields__"):
            return any(calls(getattr(node, f)) for f in node.__dataclass_fields__)
        if isinstance(node, (tuple, list)):
            return any(calls(a) for a in node)
        return False

    for element in section.elements:
        if any(calls(c.ast) for c in element.components):
            return element.name
    return None


def _clean(name: str) -> str:
    """A name as the abstract model's references spell it (PySD's clean space)."""
    return name.lower().replace(" ", "_")


class _MacroExpander:
    """Inline every call of a Vensim macro: fresh elements per call site (see :func:`expand_macros`)."""

    def __init__(self, macros: list[Any], taken: set[str], file: str) -> None:
        self.macros = {_clean(m.name): m for m in macros}
        self.taken = taken
        self.file = file
        self.count = 0
        self.elements: list[Any] = []

    def check(self, user: str | None) -> None:
        """Refuse what PySD cannot run either: a subscripted macro variable over a range the macro
        does not define (PySD builds a macro with its own subscript ranges only)."""
        for m in self.macros.values():
            ranges = {_clean(r.name) for r in m.subscripts}
            ranges |= {_clean(c) for r in m.subscripts if isinstance(r.subscripts, list)
                       for c in r.subscripts}
            for el in m.elements:
                for c in el.components:
                    unknown = [s for s in (*c.subscripts[0], *c.subscripts[1])
                               if _clean(s) not in ranges]
                    if unknown:
                        raise UnsupportedFeature(
                            f"macro {m.name} with a variable over subscript {unknown[0]}", user,
                            self.file, detail=f"{el.name} is subscripted over {unknown[0]}, which "
                            "the macro does not define; PySD builds a macro with its own subscript "
                            "ranges only, so define the range inside the macro")

    def ranges(self, section: Any) -> list[Any]:
        """The main section's subscript ranges and those the macros define (PySD gives each macro
        its own ranges; a range defined in both must be the same range)."""
        ranges = {_clean(r.name): r for r in section.subscripts}
        for m in self.macros.values():
            for r in m.subscripts:
                known = ranges.get(_clean(r.name))
                if known is None:
                    ranges[_clean(r.name)] = r
                elif (known.subscripts, list(known.mapping)) != (r.subscripts, list(r.mapping)):
                    raise UnsupportedFeature(
                        f"macro {m.name} defining subscript range {r.name}", None, self.file,
                        detail="the model defines a range of that name differently")
        return list(ranges.values())

    def walk(self, node: Any, subs: Any, caller: str, rename: dict[str, str], depth: int) -> Any:
        """``node`` with references renamed and macro calls replaced by their fresh outputs."""
        if isinstance(node, _ae.ReferenceStructure) and node.reference in rename:
            return dataclasses.replace(node, reference=rename[node.reference])
        if (isinstance(node, _ae.CallStructure) and node.function.reference in self.macros
                and node.function.reference not in rename):
            args = [self.walk(a, subs, caller, rename, depth) for a in node.arguments]
            return self.instance(self.macros[node.function.reference], args, subs, caller, depth)
        if isinstance(node, (tuple, list)):
            return type(node)(self.walk(a, subs, caller, rename, depth) for a in node)
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            changes = {f.name: self.walk(getattr(node, f.name), subs, caller, rename, depth)
                       for f in dataclasses.fields(node)}
            return dataclasses.replace(node, **changes)
        return node

    def instance(self, macro: Any, args: list[Any], subs: Any, caller: str, depth: int) -> Any:
        if depth > 20:
            raise UnsupportedFeature(f"macro {macro.name} calling itself", caller, self.file)
        if len(args) != len(macro.params):
            raise UnsupportedFeature(
                f"macro {macro.name} called with {len(args)} arguments", caller, self.file,
                detail=f"it takes {len(macro.params)}")
        self.count += 1
        prefix = f"{macro.name} {self.count}"
        while any(_clean(f"{prefix} {el.name}") in self.taken for el in macro.elements):
            self.count += 1
            prefix = f"{macro.name} {self.count}"
        names = {_clean(p): f"{prefix} {p}" for p in macro.params}
        names.update({_clean(el.name): f"{prefix} {el.name}" for el in macro.elements})
        rename = {k: _clean(v) for k, v in names.items()}
        self.taken.update(rename.values())
        for p, arg in zip(macro.params, args, strict=True):
            self.elements.append(_am.AbstractElement(
                name=names[_clean(p)],
                components=[_am.AbstractComponent(subscripts=subs, ast=arg)],
                documentation=f"Argument {p} of the call of macro {macro.name} in {caller}.",
            ))
        for el in macro.elements:
            # a variable subscripted in the macro keeps its subscripts; the others take the call's
            comps = [dataclasses.replace(
                c, subscripts=c.subscripts if c.subscripts[0] or c.subscripts[1] else subs,
                ast=self.walk(c.ast, subs, caller, rename, depth + 1)) for c in el.components]
            self.elements.append(dataclasses.replace(
                el, name=names[_clean(el.name)], components=comps,
                documentation=f"{el.documentation} (macro {macro.name} called in {caller})".strip(),
            ))
        return _ae.ReferenceStructure(reference=rename[_clean(macro.name)], subscripts=None)


def expand_macros(section: Any, macros: list[Any], file: str) -> Any:
    """The main section with every macro call inlined, as PySD runs macros: one instance per
    call site (its own state), each made of fresh elements named ``"<MACRO> <n> <name>"`` for
    the macro's arguments and variables, defined over the calling equation's subscripts; the
    call becomes a reference to the instance's output. The abstract model is not modified.

    Raises
    ------
    UnsupportedFeature
        A macro with more than one output or with subscripted variables, a call with the wrong
        number of arguments, or a macro that calls itself.
    """
    taken = {_clean(el.name) for el in section.elements}
    expander = _MacroExpander(list(macros), taken, file)
    expander.check(_first_user(section, set(expander.macros)))
    elements = []
    for el in section.elements:
        comps = [dataclasses.replace(c, ast=expander.walk(c.ast, c.subscripts, el.name, {}, 0))
                 for c in el.components]
        elements.append(dataclasses.replace(el, components=comps))
    return dataclasses.replace(section, elements=elements + expander.elements,
                               subscripts=expander.ranges(section))


def collect(abstract_model: Any, data_files: tuple[Path, ...] = ()) -> ModelInfo:
    """Collect elements, Python names and subscripts of the main section.

    ``data_files`` (resolved paths) hold the values of data variables without an equation.
    """
    file = str(getattr(abstract_model, "original_path", "") or "")
    section = abstract_model.sections[0]
    if len(abstract_model.sections) > 1:
        section = expand_macros(section, abstract_model.sections[1:], file)
    root = Path(file).parent if file else Path.cwd()
    resolve_external_subscripts(section, root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            builder = _model_builder.SectionBuilder(section)
        except Exception as exc:  # subscripts from external files and the like
            raise UnsupportedFeature(
                "subscript range definition", None, file, detail=str(exc)
            ) from exc
    for sub in section.subscripts:
        if not isinstance(sub.subscripts, (list, str)):
            raise UnsupportedFeature("subscript range from an external file", sub.name, file)
    py_names = {}
    for element in section.elements:  # PySD's Python names, in the order its builder gives them
        builder.namespace.add_to_namespace(element.name)
        py_names[element.name] = builder.namespace.namespace[element.name]
    externals = read_externals(section, builder, root)
    externals.update(read_data_variables(section, builder, tuple(data_files), file, py_names))
    elements: dict[str, ElementInfo] = {}
    for el_builder, element in zip(builder.elements, section.elements, strict=True):
        py_name = py_names[element.name]
        comps = list(element.components)
        if el_builder.control_var:
            kind = "control"
        elif all(isinstance(c, _am.AbstractLookup) for c in comps):
            kind = "lookup"
        elif all(_is_literal(c.ast) or type(c.ast).__name__ == "GetConstantsStructure"
                 for c in comps):
            kind = "constant"
        else:
            kind = "aux"
        elements[py_name] = ElementInfo(
            name=element.name,
            py_name=py_name,
            dims=list(el_builder.subscripts),
            components=comps,
            units=element.units or "",
            limits=tuple(element.limits),
            doc=element.documentation or "",
            control=el_builder.control_var,
            kind=kind,
            external=externals.get(element.name),
        )
    missing = [c for c in CONTROL_NAMES if c not in elements]
    if missing:
        raise UnsupportedFeature(
            "a model without " + ", ".join(m.upper().replace("_", " ") for m in missing),
            None,
            file,
        )
    mapping = {}
    for name, maps in builder.subscripts.mapping.items():
        mapping[name] = list(maps)
    return ModelInfo(
        file=file,
        elements=elements,
        clean_to_py=dict(builder.namespace.cleanspace),
        subscripts={k: list(v) for k, v in builder.subscripts.subscripts.items()},
        mapping=mapping,
    )
