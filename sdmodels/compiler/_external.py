"""External data: GET XLS/DIRECT CONSTANTS, LOOKUPS, DATA and SUBSCRIPT, read once at load time.

Files are resolved relative to the folder of the model file, as Vensim and PySD do for a model
run where it lies (never relative to a translation cache). The values are read with PySD's own
readers (:mod:`pysd.py_backend.external`: the same cells, the same sheets, the same CSV
handling), then baked into the compiled kernel: constants become parameters with the file's
values as defaults, lookups and data become tables (data interpolated over time as PySD does).
The kernel's cache key includes the content of every data file the model names, so editing one
compiles afresh.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.errors import ModelLoadError

_ext = LazyModule("pysd.py_backend.external")  # PySD's readers, loaded on first use
_data = LazyModule("pysd.py_backend.data")  # PySD's reader of data variables (TabData)

__all__ = [
    "DataFileError",
    "ExternalValues",
    "cell_by_cell_data",
    "data_file_digest",
    "data_file_names",
    "link_data_files",
    "read_data_variables",
    "read_externals",
    "resolve_data_files",
    "resolve_external_subscripts",
]

#: The file argument of every GET function in Vensim text (quoted with single quotes).
_GET_FILE = re.compile(
    r"GET\s+(?:XLS|DIRECT|123)\s+(?:CONSTANTS|DATA|LOOKUPS|SUBSCRIPT)\s*\(\s*'([^']*)'",
    re.IGNORECASE,
)
_STRUCTURES = {
    "GetConstantsStructure": "constant",
    "GetLookupsStructure": "lookup",
    "GetDataStructure": "data",
}


class DataFileError(ModelLoadError):
    """A data file named by a GET function is missing or cannot be read.

    Examples
    --------
    >>> print(DataFileError("demand", "inputs.xlsx", Path("/models")))  # doctest: +NORMALIZE_WHITESPACE
    element 'demand' reads 'inputs.xlsx', which is not in /models (data files are looked for
    relative to the folder of the model file); put the file there or correct its name in the
    equation
    """

    def __init__(self, element: str, file: str, folder: Path, reason: str = "") -> None:
        self.element, self.file, self.folder, self.reason = element, file, Path(folder), reason
        if reason:
            message = f"element {element!r} cannot read {file!r} (in {folder}): {reason}"
        else:
            message = (
                f"element {element!r} reads {file!r}, which is not in {folder} (data files are "
                "looked for relative to the folder of the model file); put the file there or "
                "correct its name in the equation"
            )
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.element, self.file, self.folder, self.reason))


@dataclass(frozen=True)
class ExternalValues:
    """The values of one external element, as PySD reads them.

    ``data`` is an :class:`xarray.DataArray` over the element's dimensions (plus
    ``lookup_dim`` for lookups and ``time`` for data), or a float for a scalar constant.
    """

    kind: str  # "constant", "lookup" or "data"
    data: Any
    interp: str = "interpolate"
    #: a data variable defined cell by cell (``x[a] :RAW:``, ``x[b] :INTERPOLATE:``): each
    #: defined cell's series over time and keyword (``data`` is then ``None``)
    cells: dict[tuple[str, ...], tuple[Any, str]] | None = None

    def cell(self, dims: list[str], cell: tuple[str, ...]) -> Any:
        """The values of one cell (a float for constants, a 1-D DataArray otherwise)."""
        if self.cells is not None:
            return self.cells[cell][0]
        if not dims or not hasattr(self.data, "sel"):
            return self.data
        return self.data.sel(dict(zip(dims, cell, strict=True)))

    def interp_of(self, cell: tuple[str, ...]) -> str:
        """The interpolation of one cell's data (the element's, unless defined cell by cell)."""
        return self.cells[cell][1] if self.cells is not None else self.interp


def data_file_names(model_path: Path) -> list[str]:
    """File names the GET functions of a Vensim model name (sorted, without repeats).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.mdl").write_text("x = GET XLS DATA('in.xlsx', 'a', 'A', 'B2') ~~|")
    >>> data_file_names(folder / "m.mdl")
    ['in.xlsx']
    """
    try:
        text = model_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return sorted(set(_GET_FILE.findall(text)))


def link_data_files(model_path: Path, folder: Path) -> None:
    """Make the data files beside ``model_path`` visible from ``folder`` (symbolic links).

    PySD resolves data files relative to its translated Python file; the translation lives
    in a cache folder, so each data file gets a link there pointing at the file beside the
    model, which PySD then reads (always the current file: nothing is copied).
    """
    root = model_path.parent
    for name in data_file_names(model_path):
        if name.startswith("?") or Path(name).is_absolute():
            continue
        target = (root / name).resolve()
        if not target.is_file():
            raise DataFileError(_element_reading(model_path, name), name, root)
        link = folder / name
        if ".." in Path(name).parts:
            raise DataFileError(
                _element_reading(model_path, name), name, root,
                "data file paths that leave the model's folder ('..') are only supported by "
                "the compiled engine; move the file into the model's folder or below it",
            )
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            if link.is_symlink() and link.resolve() == target:
                continue
            link.unlink()
        link.symlink_to(target)


def _element_reading(model_path: Path, name: str) -> str:
    """Name of the first element whose equation reads the data file ``name`` (for messages)."""
    text = model_path.read_text(encoding="utf-8", errors="replace")
    for equation in text.split("|"):
        if "'" + name + "'" in equation and "=" in equation:
            lhs = equation.split("=", 1)[0].replace(":", "").strip()
            return lhs.splitlines()[-1].strip() if lhs else name
    return name


def data_file_digest(model_path: Path) -> str:
    """Hash of the content of every data file the model text names ('' if none).

    A missing file hashes as missing, so creating it later changes the digest too.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.mdl").write_text("x = GET DIRECT CONSTANTS('in.csv', ',', 'B1') ~~|")
    >>> before = data_file_digest(folder / "m.mdl")
    >>> _ = (folder / "in.csv").write_text("x,1")
    >>> before != data_file_digest(folder / "m.mdl") != ""
    True
    """
    return _files_digest((name, model_path.parent / name) for name in data_file_names(model_path))


def _files_digest(files: Iterable[tuple[str, Path]]) -> str:
    """Hash of each ``(name, path)``: the name and the file's content, a missing file hashed as
    missing ('' if there are none)."""
    digest = hashlib.sha256()
    empty = True
    for name, path in files:
        empty = False
        digest.update(name.encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"<missing>")
    return "" if empty else digest.hexdigest()


def _check_file(element: str, file: str, root: Path) -> None:
    if file.startswith("?"):
        raise DataFileError(element, file, root, "indirect file names ('?name') are not supported")
    if not (root / file).is_file():
        raise DataFileError(element, file, root)


def resolve_external_subscripts(section: Any, root: Path) -> None:
    """Replace each GET ... SUBSCRIPT range of ``section`` by the coordinates read from its file.

    Afterwards both PySD's builder and the compiler see plain lists, whatever folder the
    model is built in.
    """
    for sub in section.subscripts:
        spec = sub.subscripts
        if not isinstance(spec, dict):
            continue
        _check_file(sub.name, spec["file"], root)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = _ext.ExtSubscript(
                    file_name=spec["file"], tab=spec["tab"], firstcell=spec["firstcell"],
                    lastcell=spec["lastcell"], prefix=spec["prefix"], root=root,
                ).subscript
        except Exception as exc:
            raise DataFileError(sub.name, spec["file"], root, f"{type(exc).__name__}: {exc}") from exc
        if not values:
            raise DataFileError(sub.name, spec["file"], root, "the subscript range read is empty")
        sub.subscripts = list(values)


def _new(kind: str, ast: Any, coords: dict, root: Path, final: dict, name: str, interp: Any) -> Any:
    ext = _ext
    if kind == "constant":
        return ext.ExtConstant(ast.file, ast.tab, ast.cell, coords, root, final, name)
    if kind == "lookup":
        return ext.ExtLookup(ast.file, ast.tab, ast.x_row_or_col, ast.cell, coords, root, final, name)
    return ext.ExtData(ast.file, ast.tab, ast.time_row_or_col, ast.cell, interp, coords, root,
                       final, name)


def _add(obj: Any, kind: str, ast: Any, coords: dict, interp: Any) -> None:
    if kind == "constant":
        obj.add(ast.file, ast.tab, ast.cell, coords)
    elif kind == "lookup":
        obj.add(ast.file, ast.tab, ast.x_row_or_col, ast.cell, coords)
    else:
        obj.add(ast.file, ast.tab, ast.time_row_or_col, ast.cell, interp, coords)


def read_externals(section: Any, section_builder: Any, root: Path) -> dict[str, ExternalValues]:
    """Read every external element of ``section`` (by element name) with PySD's readers."""
    out: dict[str, ExternalValues] = {}
    subscripts = section_builder.subscripts
    if any(type(c.ast).__name__ in _STRUCTURES for e in section.elements for c in e.components):
        _ext.Excels.clean()  # PySD keeps workbooks it has read: read the files as they are now
    for el_builder, element in zip(section_builder.elements, section.elements, strict=True):
        kinds = {_STRUCTURES.get(type(c.ast).__name__) for c in element.components}
        kinds.discard(None)
        if not kinds:
            continue
        if len(kinds) > 1 or any(type(c.ast).__name__ not in _STRUCTURES for c in element.components):
            continue  # mixed definitions: the compiler refuses them by name
        kind = kinds.pop()
        final = {d: list(subscripts.subscripts[d]) for d in el_builder.subscripts}
        obj = None
        interp = None
        for comp in element.components:
            ast = comp.ast
            _check_file(element.name, ast.file, root)
            coords, _text = subscripts.simplify_subscript_input(
                subscripts.make_coord_dict(comp.subscripts[0]), el_builder.subscripts)
            interp = getattr(comp, "keyword", None)
            interp = interp.replace(" ", "_") if isinstance(interp, str) else None
            try:
                if obj is None:
                    obj = _new(kind, ast, coords, root, final, element.name, interp)
                else:
                    _add(obj, kind, ast, coords, interp)
            except Exception as exc:
                raise DataFileError(element.name, ast.file, root, f"{type(exc).__name__}: {exc}") from exc
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj.initialize()
        except Exception as exc:
            raise DataFileError(element.name, element.components[0].ast.file, root,
                                f"{type(exc).__name__}: {exc}") from exc
        out[element.name] = ExternalValues(kind, obj.data, getattr(obj, "interp", None) or "interpolate")
    return out


#: Suffixes of the files PySD reads data variables from (``pysd.py_backend.data.TabData``):
#: Vensim's tabular exports and PySD's own netCDF output.
DATA_VARIABLE_SUFFIXES = (".tab", ".csv", ".nc")


def resolve_data_files(files: Any, model_path: Path) -> tuple[Path, ...]:
    """The files of data variables (``data_files``), each relative to the model's folder unless
    absolute, checked to exist and to be a kind PySD reads.

    Raises
    ------
    ModelLoadError
        A file is missing, or is a Vensim ``.vdf`` (binary, which PySD cannot read) or another
        kind of file.
    """
    if files is None:
        return ()
    if isinstance(files, (str, Path)):
        files = [files]
    root = Path(model_path).resolve().parent
    out = []
    for name in files:
        path = Path(name).expanduser()
        path = (path if path.is_absolute() else root / path).resolve()
        if path.suffix.lower() == ".vdf":
            raise ModelLoadError(
                f"data file {str(name)!r}: Vensim .vdf files are binary and PySD cannot read "
                "them; export the data from Vensim as a .tab or .csv file")
        if path.suffix.lower() not in DATA_VARIABLE_SUFFIXES:
            raise ModelLoadError(
                f"data file {str(name)!r}: data variables are read from "
                f"{', '.join(DATA_VARIABLE_SUFFIXES)} files (PySD's TabData)")
        if not path.is_file():
            raise ModelLoadError(
                f"data file {str(name)!r} is not in {root} (data files are looked for relative "
                "to the folder of the model file)")
        if path not in out:
            out.append(path)
    return tuple(out)


def data_files_digest(files: Iterable[Path]) -> str:
    """Hash of the file names and content of the data variables' files, in order ('' if none),
    as :func:`data_file_digest` hashes the files a model names: the folder they are in is left
    out, so a model and its data moved together keep their kernel and their posterior."""
    return _files_digest((Path(path).name, Path(path)) for path in files)


def read_data_variables(section: Any, section_builder: Any, files: tuple[Path, ...],
                        file: str, py_names: dict[str, str]) -> dict[str, ExternalValues]:
    """Read every data variable without an equation (``name :INTERPOLATE:``, ``:RAW:``, …) of
    ``section`` from ``files`` with PySD's reader (the first file holding the variable, by its
    name or its Python name ``py_names[name]``, as ``pysd.load(..., data_files=[...])`` does).

    Raises
    ------
    ModelLoadError
        A data variable when no data file is given (a :class:`DataFileError` when no file
        holds it or a file cannot be read).
    """
    out: dict[str, ExternalValues] = {}
    pairs = list(zip(section_builder.elements, section.elements, strict=True))
    if not any(type(c.ast).__name__ == "DataStructure" for _b, e in pairs for c in e.components):
        return out
    subscripts = section_builder.subscripts
    _data.Columns.clean()  # PySD keeps the columns of files it has read: read them as they are now
    folder = Path(file).parent if file else Path.cwd()
    for el_builder, element in pairs:
        comps = element.components
        if not any(type(c.ast).__name__ == "DataStructure" for c in comps):
            continue
        if not files:
            raise ModelLoadError(
                f"element {element.name!r} is a data variable without an equation: its values "
                "come from a data file given when the model is loaded; pass the file with "
                "load_model(path, data_files=[...]) (or --data FILE on the command line), a .tab "
                f"or .csv file with a Time column and a column per variable, found relative to "
                f"{folder}")
        dims = list(el_builder.subscripts)
        if len(comps) == 1:
            coords = _data_coords(subscripts, comps[0].subscripts[0], el_builder)
            tab = _tab_data(element, coords, comps[0].keyword, files, py_names)
            _check_cells(element.name, tab.data, dims,
                         itertools.product(*(coords[d] for d in dims)), files)
            out[element.name] = ExternalValues("data", tab.data, tab.interp or "interpolate")
            continue
        # defined cell by cell (x[a] :RAW:, x[b] :INTERPOLATE:, perhaps x[c] = 5): each data
        # definition takes its cells' columns (x[a], x[b]) with its own keyword, as Vensim
        # does; the file is read once over the element's whole range
        whole = {d: list(subscripts.subscripts[d]) for d in dims}
        data = _tab_data(element, whole, "interpolate", files, py_names).data
        cells: dict[tuple[str, ...], tuple[Any, str]] = {}
        for comp in comps:
            if type(comp.ast).__name__ != "DataStructure":
                continue
            interp = comp.keyword.replace(" ", "_") if comp.keyword else "interpolate"
            coords = _data_coords(subscripts, comp.subscripts[0], el_builder)
            for cell in itertools.product(*(coords[d] for d in dims)):
                cells[cell] = (data.sel(dict(zip(dims, cell, strict=True))), interp)
        _check_cells(element.name, data, dims, cells, files)
        out[element.name] = ExternalValues("data", None, "interpolate", cells=cells)
    return out


def _check_cells(name: str, data: Any, dims: list[str], cells: Iterable[tuple[str, ...]],
                 files: tuple[Path, ...]) -> None:
    """Refuse a cell of a data variable that no file gives a value (PySD fills it with NaN, a
    column missing from the file being the usual reason)."""
    for cell in cells:
        values = data.sel(dict(zip(dims, cell, strict=True))) if dims else data
        if np.isnan(np.asarray(values, dtype=float)).all():
            label = f"{name}[{', '.join(cell)}]" if cell else name
            raise DataFileError(name, ", ".join(p.name for p in files), files[0].parent,
                                f"no data file gives {label!r} a value; a file needs a column "
                                f"(or row) named {label!r}")


def cell_by_cell_data(abstract: Any) -> list[str]:
    """Names of the data variables without an equation that are defined cell by cell
    (``x[a] :RAW:``, ``x[b] :RAW:``), which PySD fails to load."""
    return [element.name for section in abstract.sections for element in section.elements
            if len(element.components) > 1
            and any(type(c.ast).__name__ == "DataStructure" for c in element.components)]


def _data_coords(subscripts: Any, subs: list[str], el_builder: Any) -> dict[str, list[str]]:
    """The cells a definition over ``subs`` covers, by dimension of the element."""
    coords, _text = subscripts.simplify_subscript_input(
        subscripts.make_coord_dict(subs), el_builder.subscripts)
    return {d: list(coords[d]) for d in el_builder.subscripts}


def _tab_data(element: Any, coords: dict[str, list[str]], keyword: str | None,
              files: tuple[Path, ...], py_names: dict[str, str]) -> Any:
    """PySD's TabData of a data variable over ``coords``, read from the first file that holds it."""
    names = ", ".join(p.name for p in files)
    tab = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = _data.TabData(element.name, py_names[element.name], coords, keyword)
            tab.load_data([str(p) for p in files])
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc).strip()}"
        if tab is not None and tab.data is None and "not found in" in str(exc):
            reason = (f"no data file holds it; a file needs a column (or row) named "
                      f"{element.name!r} or {py_names[element.name]!r}"
                      + (f", or {element.name + '[cell]'!r} per cell" if coords else ""))
        raise DataFileError(element.name, names, files[0].parent, reason) from exc
    return tab
