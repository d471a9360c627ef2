"""Load a system dynamics model and describe it: parameters, variables, units, ranges, sectors.

A :class:`Model` wraps one Vensim (``.mdl``) or XMILE (``.xmile``/``.xml``/``.stmx``) file. The file is
translated by PySD once per content hash (the translated Python module and the abstract model are
cached on disk), and the same file feeds the compiled batch engine. ``Model.run`` and
``Model.run_batch`` return :class:`xarray.Dataset` results following the conventions of
:mod:`sdmodels.results`.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import pickle
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sdmodels import _cachefile
from sdmodels import engine as _engine
from sdmodels._common import (
    CONTROL_NAMES,
    DEFAULT_ENGINE,
    Engine,
    LazyModule,
    dependency_version,
    format_number,
    renamed_option,
)
from sdmodels._diagnose import check_abstract, model_encoding, translation_error
from sdmodels._html import model_html
from sdmodels._paths import DEFAULT_MODEL, MODELS_DIR, cache_dir, file_sha256
from sdmodels._pysd_build import (
    check_translation,
    literal_eval_in_translators,
    prepare_for_builder,
    safe_file_stem,
)
from sdmodels.compiler import compile_model
from sdmodels.compiler._external import (
    cell_by_cell_data,
    data_file_names,
    link_data_files,
    resolve_data_files,
    resolve_external_subscripts,
)
from sdmodels.compiler._random import compiled_only_functions
from sdmodels.compiler._translate import parse_vensim
from sdmodels.errors import ModelLoadError, ParameterRangeError, UnknownNameError
from sdmodels.metadata import ModelMetadata, read_metadata
from sdmodels.posterior import point_under_scenarios, posterior_point
from sdmodels.profiles import with_profile
from sdmodels.scenarios import find_scenarios, resolve_scenario

# PySD is loaded when a model is first read, not when sdmodels is imported
_pysd = LazyModule("pysd")
_pysd_namespace = LazyModule("pysd.builders.python.namespace")
_pysd_builder = LazyModule("pysd.builders.python.python_model_builder")
_vensim_file = LazyModule("pysd.translators.vensim.vensim_file")
_xmile_file = LazyModule("pysd.translators.xmile.xmile_file")

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from sdmodels.scenarios import Scenario

__all__ = [
    "CONTROL_NAMES",
    "Engine",
    "Model",
    "ParameterInfo",
    "VariableInfo",
    "load_model",
    "python_name",
]


_NUMPY_PRINT_DEFAULTS = dict(
    precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False, nanstr="nan",
    infstr="inf", sign="-", floatmode="maxprec", legacy=False,
)

_VENSIM_SUFFIXES = {".mdl"}
_XMILE_SUFFIXES = {".xmile", ".xml", ".stmx"}

Kind = Literal["stock", "stateful", "constant", "auxiliary", "lookup", "data", "control"]


def python_name(name: str) -> str:
    """Normalise a Vensim name to the Python identifier PySD gives it.

    Uses PySD's own namespace rules, so the two never disagree.

    Examples
    --------
    >>> python_name("Nurse Leaver Rate")
    'nurse_leaver_rate'
    >>> python_name("Productivity Index")
    'productivity_index'
    """
    return _pysd_namespace.NamespaceManager().make_python_identifier(name)


def _name_key(name: str) -> str:
    """Vensim names compare case-, space- and underscore-blind."""
    return " ".join(name.replace("_", " ").replace('"', "").split()).lower()


@dataclass(frozen=True)
class VariableInfo:
    """One model element as the model file declares it.

    Attributes
    ----------
    name
        The Vensim (or XMILE) name, e.g. ``"Nurse Leaver Rate"``.
    py_name
        PySD's Python name, e.g. ``"nurse_leaver_rate"``; data variables in results use it.
    units
        Units as written in the model file ("" if none).
    doc
        The documentation comment.
    kind
        ``"stock"`` (INTEG), ``"stateful"`` (SMOOTH, DELAY, ...), ``"constant"``, ``"auxiliary"``,
        ``"lookup"``, ``"data"`` or ``"control"``.
    sector
        The Vensim view the element is drawn in, if the file has views.
    subscripts
        Names of the subscript ranges of the element.
    min, max
        The range declared in the units field, ``None`` where open.
    """

    name: str
    py_name: str
    units: str
    doc: str
    kind: Kind
    sector: str | None = None
    subscripts: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ParameterInfo(VariableInfo):
    """A constant that a scenario, a sweep or a user may set, with its default ``value``."""

    value: float | np.ndarray = field(default=np.nan, compare=False)

    def check(self, value: Any, *, allow_out_of_range: bool = False, context: str = "") -> None:
        """Raise :class:`~sdmodels.errors.ParameterRangeError` if ``value`` leaves the declared range.

        Parameters
        ----------
        value
            A number or an array of numbers (every element is checked; NaN is refused).
        allow_out_of_range
            Skip the range check (the value must still be finite).
        context
            Where the value came from, quoted in the message.
        """
        where = f" ({context})" if context else ""
        raw = np.asarray(value)
        if raw.dtype.kind not in "iuf" or isinstance(value, (bool, np.bool_)):
            raise ParameterRangeError(
                f"{self.name!r}{where}: value must be a number, got {value!r} "
                f"({type(value).__name__}); write it without quotes (0.11, not \"0.11\"), "
                "and 1 or 0 rather than true or false"
            )
        arr = raw.astype(float)
        if not np.all(np.isfinite(arr)):
            raise ParameterRangeError(
                f"{self.name!r}{where}: value must be a finite number, got {value!r}; give a "
                "number (NaN and infinity are never accepted, allow_out_of_range or not)"
            )
        if allow_out_of_range:
            return
        lo = -np.inf if self.min is None else self.min
        hi = np.inf if self.max is None else self.max
        bad = (arr < lo) | (arr > hi)
        if np.any(bad):
            first = arr[bad].flat[0]
            raise ParameterRangeError(
                f"{self.name!r}{where}: value {first:g} is outside the declared range "
                f"[{format_number(self.min, compact=False)}, {format_number(self.max, compact=False)}] {self.units}. Use a value inside the range, "
                f"or allow it explicitly (allow_out_of_range)."
            )


def _limit(x: Any) -> float | None:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


class Model:
    """A system dynamics model loaded from a Vensim or XMILE file.

    Use :func:`load_model` to create one.

    Parameters
    ----------
    path
        The model file.
    data_files
        The file (or files) holding the values of data variables without an equation
        (``name :INTERPOLATE:``), as PySD's ``data_files``; see :func:`load_model`.
    """

    def __init__(self, path: str | Path, data_files: Any = None) -> None:
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(
                f"model file {str(path)!r} does not exist; give the path of a .mdl or .xmile file"
            )
        suffix = path.suffix.lower()
        if suffix not in _VENSIM_SUFFIXES | _XMILE_SUFFIXES:
            raise ModelLoadError(
                f"{str(path)!r} is not a Vensim (.mdl) or XMILE (.xmile, .xml, .stmx) model file"
            )
        self.path = path.resolve()
        #: files of the data variables, resolved relative to the model's folder
        self.data_files: tuple[Path, ...] = resolve_data_files(data_files, self.path)
        self.name = path.stem
        self.hash = file_sha256(self.path)
        self._pysd_model: Any = None
        #: why PySD cannot run this model although it describes it (None if it can)
        self.pysd_refusal: ModelLoadError | None = None
        self._compiled: Any = None
        self._compile_error: Exception | None = None
        self._abstract, self._views = self._parse()

    def __repr__(self) -> str:
        return (
            f"<sdmodels.Model {self.name!r}: {len(self.parameters)} parameters, "
            f"{sum(v.kind == 'stock' for v in self.variables.values())} stocks>"
        )

    def _repr_html_(self) -> str:
        """Jupyter: parameters, sectors and scenarios (model text HTML-escaped)."""
        return model_html(self)

    # ------------------------------------------------------------------ translation
    def _cache_folder(self) -> Path:
        # a model that reads data files is translated once per folder: its translation links
        # to the data files beside it (see pysd)
        where = ""
        if data_file_names(self.path):
            where = "-d" + hashlib.sha256(str(self.path.parent).encode()).hexdigest()[:8]
        # "-s1": entries carry checksums (sdmodels._cachefile); older folders are left unused
        return cache_dir("pysd", f"{self.name}-{self.hash[:16]}{where}-pysd{dependency_version('pysd')}-s1")

    def _parse(self) -> tuple[Any, dict[str, str]]:
        """Translate the file into PySD's abstract model; return it and the sector of each element."""
        folder = self._cache_folder()
        # PySD writes the copy's name into its module docstring: only a sanitised name goes there
        src = folder / (safe_file_stem(self.path.stem) + self.path.suffix.lower())
        if not src.is_file() or file_sha256(src) != self.hash:
            _cachefile.write_sealed(src, self.path.read_bytes())
        pickled = folder / f"{src.name}.{_parse_key()}.pickle"
        parsed = _read_parsed(pickled, what=f"parsed {self.path.name}")
        if parsed is None:
            parsed = self._translate_or_explain(src)
            _write_pickled(pickled, parsed)
        abstract, views = parsed
        self._py_file = src.with_suffix(".py")
        self._variables_file = folder / f"{src.name}.{_parse_key()}.variables"
        #: whether the translation has been parsed and checked since it was last read from disk
        self._translation_checked = False
        if not _cachefile.verify(self._py_file, what=f"PySD translation of {self.path.name}"):
            # the builder changes what it builds from: a copy, not a second parse (seconds)
            abstract_for_build = _copied(abstract)
            if abstract_for_build is None:
                abstract_for_build, _ = self._translate_or_explain(src)
            check_abstract(abstract_for_build, self.path)
            # the translation is built in the cache folder, but GET ... SUBSCRIPT files lie
            # beside the model file: read them from there before PySD's builder looks
            for section in abstract_for_build.sections:
                resolve_external_subscripts(section, self.path.parent)
            # PySD pastes documentation (and a few other texts) into the module unescaped
            prepare_for_builder(abstract_for_build, file=str(self.path))
            # PySD prints literal arrays and tables with numpy's print settings: use the defaults,
            # so the cached translation never depends on what the calling process has set
            try:
                with np.printoptions(**_NUMPY_PRINT_DEFAULTS), _unformatted_build(), \
                        warnings.catch_warnings():
                    # PySD warns that a translation calling a function it lacks "will crash";
                    # for those the compiled engine runs that is not so (and PySD runs of such
                    # a model are refused with a clear error: batch._params.choose_engine)
                    warnings.filterwarnings("ignore", message=(
                        f"Trying to translate '({'|'.join(compiled_only_functions())})' "
                        "which it is not implemented on PySD"))
                    _pysd_builder.ModelBuilder(abstract_for_build).build_model()
            except Exception as exc:  # noqa: BLE001 - PySD's builder raises many kinds
                _cachefile.discard(self._py_file)
                raise translation_error(exc, self.path) from None
            _cachefile.seal(self._py_file)
            # parsed, never run: a fresh translation with code no equation produces is refused
            # at once; a cached one is checked just before PySD imports it (Model.pysd), which a
            # run on the compiled engine never does
            check_translation(self._py_file, model_file=str(self.path))
            self._translation_checked = True
        return abstract, views

    def _translate_or_explain(self, src: Path) -> tuple[Any, dict[str, str]]:
        try:
            return self._translate(src, display=self.path)
        except Exception as exc:  # noqa: BLE001 - parsimonious and PySD raise many kinds
            raise translation_error(exc, self.path) from None

    @staticmethod
    def _translate(src: Path, *, display: Path | None = None) -> tuple[Any, dict[str, str]]:
        """Parse a model file into PySD's abstract model and the sector (view) of each element."""
        literal_eval_in_translators()  # PySD's translator would eval() pieces of model text
        views: dict[str, str] = {}
        if src.suffix.lower() in _VENSIM_SUFFIXES:
            # the encoding is checked first: PySD would drop undecodable characters silently
            vf = _vensim_file.VensimFile(src, encoding=model_encoding(src, display=display))
            parse_vensim(vf)  # PySD's parse, with data variables written without a keyword
            views = _sketch_views(vf.sketch or "")
            return vf.get_abstract_model(), views
        xf = _xmile_file.XmileFile(src)
        xf.parse()
        return xf.get_abstract_model(), views

    @property
    def abstract(self) -> Any:
        """PySD's abstract model of the file (``pysd.translators.structures.abstract_model``)."""
        return self._abstract

    @property
    def pysd(self) -> Any:
        """The PySD model (loaded lazily from the cached translation)."""
        if self._pysd_model is None:
            if not self._translation_checked:
                # parsed, never run: refuse a translation with code no equation produces
                # before anything imports it
                check_translation(self._py_file, model_file=str(self.path))
                self._translation_checked = True
            link_data_files(self.path, self._py_file.parent)
            try:
                self._pysd_model = _pysd.load(
                    str(self._py_file), data_files=[str(f) for f in self.data_files] or None)
            except Exception:
                split = cell_by_cell_data(self._abstract)
                if not split:
                    raise
                # PySD reads a data variable defined cell by cell with the last definition's
                # cells only and fails on the file's other columns: its model still describes
                # the variables (loaded without the data), the compiled engine runs the model
                # and a PySD run is refused with this reason
                self.pysd_refusal = ModelLoadError(
                    f"{self.path}: {split[0]!r} is a data variable defined cell by cell, which "
                    "PySD cannot load (it reads the last definition's cells only), so "
                    "engine=\"pysd\" cannot run the model; run it with engine=\"compiled\" (or "
                    "\"auto\"), or give one definition over the whole range")
                self._pysd_model = _pysd.load(str(self._py_file))
        return self._pysd_model

    # ------------------------------------------------------------------ description
    @cached_property
    def _doc(self) -> Any:
        return self.pysd.doc

    @cached_property
    def variables(self) -> dict[str, VariableInfo]:
        """Every element of the model by Python name, including control variables."""
        # read from PySD's model (its documentation table and the constants' values), which
        # takes a third of a second to load: kept beside the cached translation for the next
        # load, for models whose values come from the model file alone (a GET function's
        # values come from a data file, which may change without the model file)
        cacheable = not (self.data_files or data_file_names(self.path))
        if cacheable:
            cached = _read_variables(self._variables_file, what=f"description of {self.path.name}")
            if cached is not None:
                return cached
        out = self._variables_from_pysd()
        if cacheable:
            _write_pickled(self._variables_file, out)
        return out

    def _variables_from_pysd(self) -> dict[str, VariableInfo]:
        out: dict[str, VariableInfo | ParameterInfo] = {}
        for row in self._doc.itertuples(index=False):
            name, py = row[0], row[1]
            if py == "time":
                continue
            typ, sub = str(getattr(row, "Type", "")), str(getattr(row, "Subtype", ""))
            if py in CONTROL_NAMES:
                kind: Kind = "control"
            elif typ == "Stateful":
                kind = "stock" if sub == "Integ" else "stateful"
            elif typ == "Constant":
                kind = "constant"
            elif typ == "Lookup":
                kind = "lookup"
            elif typ == "Data":
                kind = "data"
            else:
                kind = "auxiliary"
            limits = row.Limits if isinstance(row.Limits, tuple) else (None, None)
            subs = tuple(row.Subscripts) if isinstance(row.Subscripts, list) else ()
            units = row.Units if isinstance(row.Units, str) else ""
            doc = row.Comment if isinstance(row.Comment, str) else ""
            common = dict(
                name=name,
                py_name=py,
                units=units,
                doc=doc.strip(),
                kind=kind,
                sector=self._views.get(_name_key(name)),
                subscripts=subs,
                min=_limit(limits[0]),
                max=_limit(limits[1]),
            )
            value = self._default_value(py) if kind in ("constant", "control") else None
            if value is None:  # PySD types a call it does not implement as a constant
                out[py] = VariableInfo(**{**common, "kind": "auxiliary" if kind == "constant"
                                          else kind})
            else:
                out[py] = ParameterInfo(**common, value=value)
        return dict(sorted(out.items()))

    def _default_value(self, py: str) -> float | np.ndarray | None:
        """The value of a constant or control; None for an element PySD types as a constant
        although its equation calls a function PySD does not implement (such as RANDOM BETA
        with constant arguments, which the compiled engine draws at every step)."""
        try:
            value = getattr(self.pysd.components, py)()
        except NotImplementedError:
            return None
        if hasattr(value, "values"):
            return np.asarray(value.values, dtype=float)
        return float(value)

    @cached_property
    def parameters(self) -> dict[str, ParameterInfo]:
        """The constants a user may set, by Python name (control variables excluded)."""
        return {
            py: v
            for py, v in self.variables.items()
            if v.kind == "constant" and isinstance(v, ParameterInfo)
        }

    @cached_property
    def controls(self) -> dict[str, ParameterInfo]:
        """INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER, by Python name."""
        return {py: v for py, v in self.variables.items() if isinstance(v, ParameterInfo)
                and v.kind == "control"}

    @cached_property
    def sectors(self) -> dict[str, list[str]]:
        """Python names of the elements drawn in each Vensim view, in file order of views."""
        result: dict[str, list[str]] = {}
        for py, info in self.variables.items():
            if info.sector:
                result.setdefault(info.sector, []).append(py)
        return result

    @cached_property
    def _lookup_names(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for py, info in self.variables.items():
            table[py] = py
            table[_name_key(info.name)] = py
            table[_name_key(py)] = py
        return table

    def resolve(self, name: str, *, what: str = "name", context: str | None = None,
                among: Iterable[str] | None = None) -> str:
        """Return the Python name of an element given by its Vensim or Python name.

        Parameters
        ----------
        name
            ``"Nurse Leaver Rate"``, ``"nurse leaver rate"`` or ``"nurse_leaver_rate"``.
        what
            The kind of name expected, used in the error message (e.g. ``"parameter"``).
        context
            Where the name came from (a file, an option), used in the error message.
        among
            Restrict the accepted names to these Python names (e.g. only parameters).

        Raises
        ------
        UnknownNameError
            If the model has no such element; the message names the closest real names.

        Examples
        --------
        >>> m = load_model()                       # doctest: +SKIP
        >>> m.resolve("Productivity Index")        # doctest: +SKIP
        'productivity_index'
        """
        allowed = set(self.variables) if among is None else set(among)
        py = self._lookup_names.get(name) or self._lookup_names.get(_name_key(str(name)))
        if py is None or py not in allowed:
            candidates = [self.variables[p].name for p in allowed if p in self.variables]
            raise UnknownNameError(str(name), candidates, what=what, context=context)
        return py

    def resolve_parameter(self, name: str, *, context: str | None = None) -> str:
        """Like :meth:`resolve`, accepting only constants and control variables."""
        return self.resolve(name, what="parameter", context=context,
                            among=[*self.parameters, *self.controls])

    @cached_property
    def metadata(self) -> ModelMetadata:
        """What the model file cannot say: key outputs and which direction of an output is
        better, read from ``<model>.sdmodels.toml`` beside the file (see :mod:`sdmodels.metadata`).

        Raises
        ------
        ModelLoadError
            A malformed metadata file, or one naming variables the model does not define.
        """
        return read_metadata(
            self.path, lambda name, where: self.resolve(name, what="variable", context=where)
        )

    @cached_property
    def key_outputs(self) -> list[str]:
        """Python names of the outputs summarised by default.

        Those listed as ``key_outputs`` in the model's metadata file; without one, the model's
        stocks (at most nine), or for a model without stocks its auxiliaries and other
        stateful structures (at most nine).
        """
        if self.metadata.key_outputs:
            return list(self.metadata.key_outputs)
        for kinds in (("stock",), ("auxiliary", "stateful")):
            found = [py for py, v in self.variables.items() if v.kind in kinds]
            if found:
                return found[:9]
        return []

    def better_direction(self, name: str) -> Literal[1, -1] | None:
        """``1`` if higher values of an output are better, ``-1`` if lower ones are, ``None`` if
        the model's metadata does not say (Vensim or Python name).

        Examples
        --------
        >>> m = load_model()
        >>> m.better_direction("Waiting List"), m.better_direction("time_step")
        (-1, None)
        """
        return self.metadata.direction(self.resolve(name, what="variable"))

    # ------------------------------------------------------------------ scenarios
    @cached_property
    def scenarios(self) -> dict[str, Scenario]:
        """The scenario files shipped for this model (``scenarios/*.toml`` beside it), by name."""
        return find_scenarios(self)

    def scenario(self, scenario: str | Scenario | None) -> Scenario:
        """Return a :class:`~sdmodels.scenarios.Scenario`: a shipped one by name, a path, or as given."""
        return resolve_scenario(self, scenario)

    # ------------------------------------------------------------------ running
    def run(
        self,
        scenario: str | Scenario | Sequence[str | Scenario] | None = None,
        *positional: Any,
        params: Mapping[str, Any] | None = None,
        outputs: Sequence[str] | None = None,
        years: Iterable[float] | str | None = None,
        engine: Engine = DEFAULT_ENGINE,
        allow_out_of_range: bool | Iterable[str] = False,
        progress: bool = False,
        profile: str | Path | Any | None = None,
        return_columns: Sequence[str] | None = None,
        posterior: str | Path | None = None,
    ) -> xr.Dataset:
        """Run one scenario, or several, over the model's time horizon.

        Parameters
        ----------
        scenario
            ``None`` (the model's own defaults), a shipped scenario's name, a path to a scenario
            file, a :class:`~sdmodels.scenarios.Scenario`, or a list of these. A list gives a
            ``scenario`` dimension; a single scenario gives a scalar ``scenario`` coordinate.
        params
            Overrides on top of the scenario, by Vensim or Python name: numbers, arrays for
            subscripted constants, or time series (:class:`pandas.Series` indexed by time).
            ``"TIME STEP"``, ``"FINAL TIME"``, ``"SAVEPER"`` and ``"INITIAL TIME"`` are accepted.
        outputs
            Variables to keep (Vensim or Python names); all variables by default.
        years
            The saved years kept: the saved times nearest these years, ``"whole"`` (those on
            whole years) or ``"all"`` (default).
        engine
            ``"auto"`` (default: compiled where the model is supported, PySD otherwise, with one
            warning), ``"compiled"`` or ``"pysd"``.
        allow_out_of_range
            ``True``, or names of parameters whose values may leave their declared range.
        progress
            Show a progress bar over scenarios.
        profile
            The starting point: a shipped profile's name (``"england"``), a profile file or a
            :class:`~sdmodels.profiles.Profile`. Its values sit under the scenario's own
            parameters and ``params``. ``None`` runs the model file's own defaults.
        return_columns
            Former spelling of ``outputs`` (deprecated). ``params``, ``engine`` and
            ``return_columns`` given by position after ``scenario`` still work for one release,
            with a :class:`DeprecationWarning`.
        posterior
            Start from calibrated parameters: ``"default"`` (the posterior named in the
            model's metadata; ``sdmodels run`` uses it by default) or a calibration result
            file; each calibrated parameter takes its posterior median, under the scenario's
            own parameters and ``params`` (see :mod:`sdmodels.posterior`). ``None`` (the
            default of this API): the model file's own values. The result's attributes name
            the posterior file and its SHA-256.

        Returns
        -------
        xarray.Dataset
            Dimension ``time`` (plus ``scenario`` for a list and subscript dimensions).

        Raises
        ------
        UnknownNameError
            A parameter or output the model does not define.
        ParameterRangeError
            A value outside its declared range, unless allowed.

        Examples
        --------
        >>> m = load_model("models/tests/ishigami.mdl")
        >>> m.run(params={"x1": 1.0}, outputs=["Y"])["y"].dims
        ('time',)
        """
        scenario = with_profile(self, scenario, profile)
        if positional:
            params, engine, return_columns = _positional_run_options(
                positional, params=params, engine=engine, return_columns=return_columns)
        outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                                 where="Model.run")
        point = None
        if posterior is not None:
            point = posterior_point(self, posterior)
            params = point_under_scenarios(self, scenario, point.values, params)
        ds = _engine.run_scenarios(
            self,
            scenario,
            params=params,
            outputs=outputs,
            years=years,
            engine=engine,
            allow_out_of_range=allow_out_of_range,
            progress=progress,
        )
        if point is not None:
            ds.attrs.update(point.provenance())
        return ds

    def run_batch(
        self,
        params: Mapping[str, Any],
        *,
        scenario: str | Scenario | None = None,
        outputs: Sequence[str] | None = None,
        years: Iterable[float] | str | None = None,
        engine: Engine = DEFAULT_ENGINE,
        scheduler: Any = None,
        out: str | Path | None = None,
        resume: bool = False,
        progress: bool = False,
        chunk_size: int | None = None,
        allow_out_of_range: bool | Iterable[str] = False,
        return_columns: Sequence[str] | None = None,
    ) -> xr.Dataset:
        """Run a batch of parameter samples at once.

        Parameters
        ----------
        params
            By Vensim or Python name: scalars (broadcast to every sample) or arrays of length N
            (one value per sample); time-series overrides as :class:`pandas.Series` or
            :class:`xarray.DataArray` over ``time``.
        scenario
            The scenario the samples start from (see :meth:`run`).
        outputs
            Variables to keep; all variables by default. Keep this short for large N.
        years
            The saved years kept (see :meth:`run`); cut down chunk by chunk, where it ran.
        engine
            ``"auto"`` (default), ``"compiled"`` or ``"pysd"`` (a loop of PySD runs; slow).
        scheduler
            ``"threads:N"`` (N threads of this process), or a dask cluster: an address such as
            ``"tcp://host:8786"``, a ``dask.distributed.Client``, or ``"local:N"`` for N local
            worker processes (``pip install sdmodels[distributed]``). The values equal a serial
            run's.
        out
            Stream the chunks into this ``.zarr`` or ``.nc`` store as they finish, so memory does
            not grow with N; the store is marked complete only after the last chunk.
        resume
            Continue an interrupted streamed run kept beside ``out``: only missing chunks run.
        progress
            Show a progress bar over chunks.
        chunk_size
            Samples integrated at once (see :func:`sdmodels.batch.run_batch` for the defaults);
            memory is bounded by the chunk plus the kept outputs.
        allow_out_of_range
            ``True``, or names of parameters whose values may leave their declared range.
        return_columns
            Former spelling of ``outputs`` (deprecated).

        Returns
        -------
        xarray.Dataset
            Dimensions ``sample`` and ``time`` (plus subscript dimensions). The per-sample
            inputs are kept in the ``design`` variable (dims ``sample``, ``parameter``).

        Examples
        --------
        >>> m = load_model("models/tests/ishigami.mdl")
        >>> m.run_batch({"x1": [0.0, 1.0, 2.0]}, outputs=["Y"])["y"].sizes["sample"]
        3
        """
        outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                                 where="Model.run_batch")
        return _engine.run_batch(
            self,
            params,
            scenario=scenario,
            outputs=outputs,
            years=years,
            engine=engine,
            scheduler=scheduler,
            out=out,
            resume=resume,
            progress=progress,
            chunk_size=chunk_size,
            allow_out_of_range=allow_out_of_range,
        )

    def compiled(self) -> Any:
        """The compiled batch kernel of this model (compiled or loaded from the disk cache once).

        Raises
        ------
        sdmodels.compiler.UnsupportedFeature
            If the model uses something the compiler does not support.
        """
        if self._compile_error is not None:
            raise self._compile_error
        if self._compiled is None:
            try:
                # the compiler is given a copy of this model's parse rather than parsing again
                self._compiled = compile_model(self.path, translation=lambda: _copied(self._abstract),
                                               data_files=self.data_files or None)
            except Exception as exc:
                self._compile_error = exc
                raise
        return self._compiled


def _positional_run_options(
    values: tuple[Any, ...], *, params: Any, engine: Any, return_columns: Any
) -> tuple[Any, Any, Any]:
    """``params``, ``engine`` and ``return_columns`` given by position to :meth:`Model.run`
    (deprecated): taken for one more release, with a warning."""
    names = ("params", "engine", "return_columns")
    if len(values) > len(names):
        raise TypeError(f"Model.run takes scenario and at most {len(names)} more positional "
                        f"arguments ({', '.join(names)}), got {1 + len(values)}")
    given = dict(zip(names, values, strict=False))
    keywords = {"params": params, "engine": engine if engine != DEFAULT_ENGINE else None,
                "return_columns": return_columns}
    both = [n for n in given if keywords[n] is not None]
    if both:
        raise TypeError(f"Model.run got {both} both by position and by keyword")
    warnings.warn(
        f"Model.run: {', '.join(given)} given by position is deprecated and will be refused in "
        "the next release; give them by keyword (params=..., engine=..., outputs=...)",
        DeprecationWarning,
        stacklevel=3,
    )
    return (given.get("params", params), given.get("engine", engine),
            given.get("return_columns", return_columns))


def _sketch_views(sketch: str) -> dict[str, str]:
    """Map each variable (by name key) to the first Vensim view it is drawn in.

    Views are the ``*Name`` lines of the sketch; variables are its type-10 objects
    (``10,id,name,...``, the name quoted when it holds commas).
    """
    views: dict[str, str] = {}
    view: str | None = None
    for line in sketch.splitlines():
        if line.startswith("*"):
            view = line[1:].strip()
        elif line.startswith("10,") and view:
            fields = next(csv.reader([line]))
            if len(fields) > 2 and fields[2].strip():
                views.setdefault(_name_key(fields[2]), view)
    return views


def _parse_key() -> str:
    """What a cached parse depends on besides the file and PySD's version (both in its folder's
    name): this module, which reads the sketch's views."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


class _AsBuilt:
    """Stands in for black in PySD's builder: the translation is written as built."""

    FileMode = staticmethod(lambda *args, **kwargs: None)

    @staticmethod
    def format_file_contents(text: str, **kwargs: Any) -> str:
        return text


_BUILD_LOCK = threading.Lock()

@contextlib.contextmanager
def _unformatted_build() -> Iterator[None]:
    """PySD's builder without its black formatting of the translation (``black`` in its module).

    Formatting took 2 of the NHS model's 4 CPU-seconds of translation, for a file in a cache that
    nobody reads; the code is the same (a test formats one and compares), and the translation is
    parsed and checked before anything imports it (``check_translation``). If PySD stops calling
    black through that name, this changes nothing. One build at a time (the dashboard's threads).
    """
    with _BUILD_LOCK:
        formatter = getattr(_pysd_builder, "black", None)
        if formatter is None:
            yield
            return
        _pysd_builder.black = _AsBuilt
        try:
            yield
        finally:
            _pysd_builder.black = formatter


def _copied(abstract: Any) -> Any:
    """An independent copy of a parsed model (a pickle round trip, as the parse cache stores
    it), or ``None`` if it cannot be pickled (the caller parses the file again)."""
    try:
        return pickle.loads(pickle.dumps(abstract, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - unpicklable parts (many kinds): parse again
        return None


def _read_pickled(path: Path, *, what: str, valid: Any) -> Any:
    """A cached pickle (a parse, a description) if it is intact and ``valid(obj)``; otherwise
    ``None`` (a damaged or stale entry is discarded, and the caller builds it again)."""
    if not _cachefile.verify(path, what=what):
        return None
    try:
        with path.open("rb") as fh:
            out = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a stale pickle (many kinds): build it again
        out = None
    if out is None or not valid(out):
        _cachefile.discard(path)
        return None
    return out


def _write_pickled(path: Path, obj: Any) -> None:
    """Cache ``obj`` at ``<model file>.<key>.<kind>`` atomically, replacing the entries of that
    kind made by other versions of this module; a cache that cannot be written only costs time."""
    model_file, _, kind = path.name.rsplit(".", 2)
    for stale in path.parent.glob(f"{glob.escape(model_file)}.*.{kind}"):
        if stale != path:
            _cachefile.discard(stale)
    with contextlib.suppress(OSError, pickle.PicklingError):
        _cachefile.write_sealed(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _read_parsed(path: Path, *, what: str) -> tuple[Any, dict[str, str]] | None:
    """A cached parse (abstract model, views), or ``None`` if there is none or it is damaged."""
    return _read_pickled(path, what=what,
                         valid=lambda obj: isinstance(obj, tuple) and len(obj) == 2)


def _read_variables(path: Path, *, what: str) -> dict[str, VariableInfo] | None:
    """A cached ``Model.variables``, or ``None`` if there is none or it is damaged."""
    return _read_pickled(path, what=what, valid=lambda obj: isinstance(obj, dict) and all(
        isinstance(v, VariableInfo) for v in obj.values()))


def load_model(path: str | Path | None = None, *, data_files: Any = None) -> Model:
    """Load a Vensim (``.mdl``) or XMILE model; the bundled NHS productivity model by default.

    Parameters
    ----------
    path
        The model file. ``None`` loads ``models/nhs_productivity.mdl``; a bare name such as
        ``"nhs_productivity"`` is looked up in the bundled ``models/`` folder.
    data_files
        The file, or a list of files, holding the values of the model's data variables without
        an equation (``name :INTERPOLATE:``, ``:RAW:``, ``:HOLD BACKWARD:``, ``:LOOK FORWARD:``),
        as PySD's ``data_files``: a ``.tab`` or ``.csv`` file (a ``Time`` column and a column per
        variable, ``name[cell]`` for subscripted ones, or the same transposed) or PySD's
        ``.nc`` output; a variable is taken from the first file that holds it. Relative paths
        are relative to the model file's folder. Vensim ``.vdf`` files are binary and cannot be
        read: export them as ``.tab``.

    Returns
    -------
    Model

    Raises
    ------
    ModelLoadError
        The file does not exist, has an unknown suffix, or cannot be translated.

    Examples
    --------
    >>> import sdmodels
    >>> model = sdmodels.load_model()
    >>> model.variables["productivity_index"].name
    'Productivity Index'
    """
    if path is None:
        return Model(DEFAULT_MODEL, data_files)
    p = Path(path)
    if not p.exists() and not p.suffix:
        for suffix in (".mdl", ".xmile"):
            if (MODELS_DIR / (p.name + suffix)).is_file():
                return Model(MODELS_DIR / (p.name + suffix), data_files)
    return Model(p, data_files)

