"""Calibration files: which data, which series with which error model, which parameters.

A calibration file is TOML; paths in it are relative to the file::

    model = "logistic.mdl"
    data = "logistic_data.csv"      # a column `time`, then one column per series
    start = 0                       # optional fit window (model time units)
    end = 30
    model_data = "inputs.tab"       # optional: values of the model's data variables (below)

    [series."Population"]
    error = "normal"                # normal | student_t | lognormal
    scale = 20.0                    # or "estimate"
    weight = 1.0

    [parameters."Growth Rate"]      # priors exactly as in uncertainty files
    dist = "uniform"
    min = 0.05
    max = 1.0

Priors are parsed by :class:`sdmodels.uncertainty.UncertaintySpec`, so they accept every
distribution and check every support against the range declared in the model file. A
series with ``scale = "estimate"`` gets a nuisance parameter ``scale[<series>]`` with a
log-uniform prior, sampled or optimised with the model's parameters.

``model_data`` (a file or a list of files) gives the values of the model's data variables
without an equation (``name :INTERPOLATE:`` ...), as ``load_model(path, data_files=...)`` does:
they are inputs of the model, not observations, and are not compared with it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from sdmodels._toml import parse_toml
from sdmodels.calibration._priors import CalibrationError, log_density
from sdmodels.errors import UncertaintyError
from sdmodels.model import load_model
from sdmodels.uncertainty import DiscreteChoice, UncertaintySpec

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.uncertainty import Distribution

__all__ = [
    "ERROR_MODELS",
    "INPUT_FORMS",
    "TRANSFORMS",
    "CalibrationError",
    "CalibrationSpec",
    "DataFile",
    "InputSeries",
    "ObservedSeries",
    "load_calibration",
]

ErrorModel = Literal["normal", "student_t", "lognormal"]
Transform = Literal["level", "growth", "growth_rate"]
#: Error models a series may use.
ERROR_MODELS: tuple[str, ...] = ("normal", "student_t", "lognormal")
#: How a series is compared: its level, or its relative change from the previous observation.
TRANSFORMS: tuple[str, ...] = ("level", "growth", "growth_rate")
_TOP_KEYS = ("description", "model", "model_data", "data", "scenario", "start", "end", "series",
             "parameters", "inputs")
_SERIES_KEYS = ("variable", "error", "scale", "weight", "df", "column", "transform", "period",
                "window", "scale_min", "scale_max", "source")
_INPUT_KEYS = ("column", "before", "after", "as", "source")
#: How an input series is handed to the model: as given, or as the mean continuous growth rate
#: since INITIAL TIME (for a constant used in ``EXP(rate * (Time - INITIAL TIME))``).
INPUT_FORMS: tuple[str, ...] = ("rate", "mean_rate_since_start")
_DEFAULT_DF = 4.0


@dataclass(frozen=True)
class ObservedSeries:
    """One observed series and how it is compared with the model.

    Attributes
    ----------
    name
        The model variable's Vensim name.
    py_name
        Its Python name (the column read from the simulation).
    column
        The data file's column.
    error
        ``"normal"``, ``"student_t"`` or ``"lognormal"`` (on the log of level and simulation).
    scale
        The error's standard deviation (for ``lognormal``: of the log), or ``None`` when it is
        estimated.
    scale_bounds
        The log-uniform prior range of an estimated scale.
    weight
        Multiplies the series' log-likelihood (1 is the plain likelihood).
    df
        Degrees of freedom of the Student-t error.
    transform
        ``"level"`` compares values; ``"growth"`` compares ``x[t] / x[t-1] - 1`` between
        consecutive observation times (the data hold levels); ``"growth_rate"``: the data hold
        growth rates over the ``period`` before each time (e.g. ONS productivity growth), compared
        with the simulated ``x[t] / x[t - period] - 1``.
    times, values
        The observations used (inside the fit window, gaps dropped).
    previous_times
        For the growth transforms, the time each observation's growth is measured from.
    window
        0: the simulation is read at each time. Above 0: the data are means over this span
        centred on each time (a financial year's figure at its middle), so the simulation is
        averaged over ``[t - window / 2, t + window / 2]`` (and likewise around the previous
        time of a growth).
    source
        Free text: where the data come from.
    title
        The series' own name when it is not the model variable's (``variable = "..."`` in the
        file: two data series compared with one variable); empty otherwise.
    """

    name: str
    py_name: str
    column: str
    error: str
    scale: float | None
    scale_bounds: tuple[float, float]
    weight: float
    df: float
    transform: str
    times: np.ndarray
    values: np.ndarray
    previous_times: np.ndarray | None = None
    source: str = ""
    title: str = ""
    window: float = 0.0

    @property
    def estimated(self) -> bool:
        """Whether the scale is estimated."""
        return self.scale is None

    @property
    def label(self) -> str:
        """The series as shown in tables: its title, else its variable's name plus the transform
        if not the level."""
        if self.title:
            return self.title
        return self.name if self.transform == "level" else f"{self.name} ({self.transform})"


@dataclass(frozen=True)
class InputSeries:
    """A model constant replaced by a time series read from the data (a historic input).

    Attributes
    ----------
    name, py_name
        The constant's Vensim and Python names.
    column
        The data column.
    times, values
        The points handed to the model: the kernel interpolates linearly between them and holds
        the ends, as PySD does for time series.
    form
        ``"rate"`` (as given) or ``"mean_rate_since_start"`` (converted, see :data:`INPUT_FORMS`).
    """

    name: str
    py_name: str
    column: str
    times: np.ndarray
    values: np.ndarray
    form: str = "rate"
    source: str = ""

    def series(self) -> pd.Series:
        """The input as a :class:`pandas.Series` indexed by time."""
        return pd.Series(self.values, index=pd.Index(self.times, name="time"), name=self.py_name)


@dataclass(frozen=True)
class DataFile:
    """One data file of a calibration, kept whole so that a result can be repeated anywhere.

    Attributes
    ----------
    name
        The file's name (without its folder).
    sha256
        The SHA-256 of its bytes.
    text
        Its content (UTF-8), or ``None`` if it is not UTF-8 text.
    """

    name: str
    sha256: str
    text: str | None

    @classmethod
    def read(cls, path: Path) -> DataFile:
        """The file at ``path``."""
        raw = path.read_bytes()
        try:
            text: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return cls(name=path.name, sha256=hashlib.sha256(raw).hexdigest(), text=text)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored in result files)."""
        return {"name": self.name, "sha256": self.sha256, "text": self.text}


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration file.

    Attributes
    ----------
    model
        The model calibrated.
    series
        The observed series.
    priors
        The calibrated model parameters and their priors.
    scenario
        The scenario the runs start from (``None``: the model's defaults).
    start, end
        The fit window.
    text, path
        The file's text and path; ``text_sha256`` and ``data_sha256`` identify file and data.
    data_path
        The data file.
    data_files
        Each data file's name, SHA-256 and content, as read.
    """

    model: Model
    series: tuple[ObservedSeries, ...]
    priors: UncertaintySpec
    scenario: Any
    start: float
    end: float
    text: str
    path: str | None
    data_path: str
    data_sha256: str
    description: str = ""
    inputs: tuple[InputSeries, ...] = ()
    data_files: tuple[DataFile, ...] = ()

    @property
    def text_sha256(self) -> str:
        """SHA-256 of the calibration file's text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Vensim names of the model parameters, then ``scale[<series>]`` per estimated scale."""
        return (*(p.name for p in self.priors.parameters),
                *(f"scale[{s.label}]" for s in self.series if s.estimated))

    @property
    def n_model(self) -> int:
        """Number of model parameters calibrated."""
        return len(self.priors)

    @property
    def estimated_scales(self) -> tuple[ObservedSeries, ...]:
        """The series whose scale is estimated, in the order of their nuisance parameters."""
        return tuple(s for s in self.series if s.estimated)

    @property
    def ndim(self) -> int:
        """Number of calibrated quantities (model parameters plus estimated scales)."""
        return self.n_model + len(self.estimated_scales)

    @property
    def distributions(self) -> tuple[Distribution, ...]:
        """The priors of the model parameters."""
        return self.priors.distributions

    def transform(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube ``(n, ndim)`` to parameter values (priors' inverse CDFs).

        Estimated scales are log-uniform over their bounds.
        """
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        out = np.empty_like(unit)
        k = self.n_model
        if k:
            out[:, :k] = self.priors.transform(unit[:, :k])
        for j, s in enumerate(self.estimated_scales):
            lo, hi = (math.log(b) for b in s.scale_bounds)
            out[:, k + j] = np.exp(lo + unit[:, k + j] * (hi - lo))
        return out

    def log_prior(self, values: np.ndarray) -> np.ndarray:
        """Log prior density of parameter values ``(n, ndim)`` (``-inf`` outside the support)."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        total = np.zeros(values.shape[0])
        for j, dist in enumerate(self.distributions):
            total += log_density(dist, values[:, j])
        for j, s in enumerate(self.estimated_scales):
            lo, hi = s.scale_bounds
            v = values[:, self.n_model + j]
            inside = (v >= lo) & (v <= hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                total += np.where(inside, -np.log(v) - math.log(math.log(hi / lo)), -np.inf)
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (for result attrs)."""
        return {
            "path": self.path,
            "data": self.data_path,
            "start": self.start,
            "end": self.end,
            "series": [s.label for s in self.series],
            "parameters": list(self.parameter_names),
            "inputs": [i.name for i in self.inputs],
        }


def _where(path: str | Path | None) -> str:
    return f"{path}: " if path else ""


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalibrationError(f"{what} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise CalibrationError(f"{what} must be finite, got {value!r}")
    return out


def read_data(path: Path) -> pd.DataFrame:
    """Read a calibration data file: a ``time`` column, then one numeric column per series.

    Rows starting with ``#`` are comments; empty cells are gaps (NaN).

    Raises
    ------
    CalibrationError
        Missing file, no ``time`` column, non-numeric values or repeated times.
    """
    if not path.is_file():
        raise CalibrationError(
            f"data file {str(path)!r} does not exist; give a CSV with a 'time' column and one "
            "column per observed series"
        )
    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CalibrationError(f"cannot read data file {str(path)!r}: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    if "time" not in df.columns:
        raise CalibrationError(
            f"data file {str(path)!r} has no 'time' column (columns: {', '.join(df.columns)}); "
            "the first column must be 'time'"
        )
    for col in df.columns:
        converted = pd.to_numeric(df[col], errors="coerce")
        bad = converted.isna() & df[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise CalibrationError(
                f"data file {str(path)!r}: column {col!r} row {row + 1} holds "
                f"{df[col].iloc[row]!r}, not a number (leave a gap empty)"
            )
        df[col] = converted.astype(float)
    if df["time"].isna().any():
        raise CalibrationError(f"data file {str(path)!r}: every row needs a time")
    if df["time"].duplicated().any():
        dup = df["time"][df["time"].duplicated()].iloc[0]
        raise CalibrationError(f"data file {str(path)!r}: time {dup:g} appears more than once")
    return df.sort_values("time").reset_index(drop=True)


def read_data_files(paths: list[Path]) -> pd.DataFrame:
    """Read one or several data files and join them on ``time`` (gaps stay NaN).

    Raises
    ------
    CalibrationError
        As :func:`read_data`, or a column name used by two files.
    """
    frames = [read_data(p) for p in paths]
    merged = frames[0]
    for path, frame in zip(paths[1:], frames[1:], strict=True):
        clash = sorted((set(merged.columns) & set(frame.columns)) - {"time"})
        if clash:
            raise CalibrationError(
                f"data file {str(path)!r} repeats column(s) {', '.join(map(repr, clash))} of an "
                "earlier data file; give each column one file"
            )
        merged = merged.merge(frame, on="time", how="outer")
    return merged.sort_values("time").reset_index(drop=True)


def _input(model: Model, name: str, table: Any, data: pd.DataFrame, t0: float,
           where: str) -> InputSeries:
    if not isinstance(table, Mapping):
        raise CalibrationError(
            f'{where}input {name!r}: expected a table [inputs."{name}"] with column = "..."'
        )
    extra = sorted(set(table) - set(_INPUT_KEYS))
    if extra:
        raise CalibrationError(
            f"{where}input {name!r}: unexpected key(s) {', '.join(map(repr, extra))}; allowed: "
            + ", ".join(_INPUT_KEYS)
        )
    py = model.resolve(name, what="input (model constant)", context=where.rstrip(": ") or None,
                       among=model.parameters)
    info = model.parameters[py]
    column = table.get("column")
    if not isinstance(column, str) or column not in data.columns or column == "time":
        cols = [c for c in data.columns if c != "time"]
        raise CalibrationError(
            f"{where}input {name!r}: no data column {column!r} (columns: {', '.join(cols)})"
        )
    form = table.get("as", "rate")
    if form not in INPUT_FORMS:
        raise CalibrationError(
            f"{where}input {name!r}: unknown 'as' {form!r}; use one of " + ", ".join(INPUT_FORMS)
        )
    ok = data[column].notna().to_numpy()
    times = data["time"].to_numpy()[ok]
    values = data[column].to_numpy()[ok]
    if times.size == 0:
        raise CalibrationError(f"{where}input {name!r}: column {column!r} is empty")
    edge = 1.0 / 64
    if "before" in table:
        before = _number(table["before"], f"{where}input {name!r}: before")
        times, values = np.r_[times[0] - edge, times], np.r_[before, values]
    if "after" in table:
        after = _number(table["after"], f"{where}input {name!r}: after")
        times, values = np.r_[times, times[-1] + edge], np.r_[values, after]
    if form == "mean_rate_since_start":
        # yearly rates r_k at times t_k become g(t) with exp(g (t - t0)) = prod (1 + r_k)
        grid = np.arange(t0 + 1.0, max(times.max(), t0 + 1.0) + 1.0, 1.0)
        rates = np.interp(grid - 0.5, times, values)
        cumulative = np.cumsum(np.log1p(rates))
        times, values = np.r_[t0, grid], np.r_[rates[0], cumulative / (grid - t0)]
    values = np.asarray(values, dtype=float)
    source = table.get("source", "")
    if not isinstance(source, str):
        raise CalibrationError(f"{where}input {name!r}: source must be a string")
    return InputSeries(name=info.name, py_name=py, column=column, times=np.asarray(times, float),
                       values=values, form=form, source=source)


def _series(
    model: Model, name: str, table: Any, data: pd.DataFrame, start: float, end: float,
    where: str, data_paths: list[Path],
) -> ObservedSeries:
    if not isinstance(table, Mapping):
        raise CalibrationError(
            f'{where}series {name!r}: expected a table [series."{name}"] with error = "normal" '
            f"and scale = ...; got {table!r}"
        )
    extra = sorted(set(table) - set(_SERIES_KEYS))
    if extra:
        raise CalibrationError(
            f"{where}series {name!r}: unexpected key(s) {', '.join(map(repr, extra))}; allowed: "
            + ", ".join(_SERIES_KEYS)
        )
    variable = table.get("variable", name)
    if not isinstance(variable, str) or not variable.strip():
        raise CalibrationError(f"{where}series {name!r}: variable must be a model variable's name")
    title = name if "variable" in table else ""
    py = model.resolve(variable, what="series (model variable)",
                       context=where.rstrip(": ") or None)
    info = model.variables[py]
    if info.kind in ("lookup", "control") or info.subscripts:
        raise CalibrationError(
            f"{where}series {name!r}: only scalar model variables can be compared with data"
        )
    error = table.get("error", "normal")
    if error not in ERROR_MODELS:
        raise CalibrationError(
            f"{where}series {name!r}: unknown error model {error!r}; use one of "
            + ", ".join(ERROR_MODELS)
        )
    transform = table.get("transform", "level")
    if transform not in TRANSFORMS:
        raise CalibrationError(
            f"{where}series {name!r}: unknown transform {transform!r}; use one of "
            + ", ".join(TRANSFORMS)
        )
    column = table.get("column", name)
    if not isinstance(column, str) or column not in data.columns:
        cols = [c for c in data.columns if c != "time"]
        raise CalibrationError(
            f"{where}series {name!r}: the data ({', '.join(p.name for p in data_paths)}) have no "
            f"column {column!r} "
            f"(columns: {', '.join(cols)}); name the column with column = \"...\""
        )
    weight = _number(table.get("weight", 1.0), f"{where}series {name!r}: weight")
    if weight <= 0:
        raise CalibrationError(f"{where}series {name!r}: weight must be greater than 0")
    df = _number(table.get("df", _DEFAULT_DF), f"{where}series {name!r}: df")
    if df <= 0:
        raise CalibrationError(f"{where}series {name!r}: df must be greater than 0")
    period, window = _spans(table, transform, name, where)
    times, values, prev = _observations(data, column, transform, period, start, end, name, where)
    if error == "lognormal" and np.any(values <= 0):
        raise CalibrationError(
            f"{where}series {name!r}: a log-normal error needs positive observations; column "
            f"{column!r} has {values[values <= 0][0]:g}"
        )
    scale, bounds = _scale(table, values, error, name, where)
    source = table.get("source", "")
    if not isinstance(source, str):
        raise CalibrationError(f"{where}series {name!r}: source must be a string")
    return ObservedSeries(
        name=info.name, py_name=py, column=column, error=error, scale=scale, scale_bounds=bounds,
        weight=weight, df=df, transform=transform, times=np.asarray(times, dtype=float),
        values=np.asarray(values, dtype=float), previous_times=prev, source=source, title=title,
        window=window,
    )


def _spans(table: Mapping[str, Any], transform: str, name: str, where: str) -> tuple[float, float]:
    """A series' growth ``period`` and averaging ``window``, checked."""
    period = _number(table.get("period", 1.0), f"{where}series {name!r}: period")
    if period <= 0:
        raise CalibrationError(f"{where}series {name!r}: period must be greater than 0")
    if "period" in table and transform != "growth_rate":
        raise CalibrationError(f"{where}series {name!r}: period only applies to growth_rate")
    window = _number(table.get("window", 0.0), f"{where}series {name!r}: window")
    if window < 0:
        raise CalibrationError(f"{where}series {name!r}: window must be 0 or greater")
    return period, window


def _observations(data: pd.DataFrame, column: str, transform: str, period: float, start: float,
                  end: float, name: str, where: str,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The observation times, values and (growth) previous times inside the fit window."""
    t_all = data["time"].to_numpy()
    v_all = data[column].to_numpy()
    prev = None
    if transform == "growth_rate":
        keep = (t_all - period >= start) & (t_all <= end) & ~np.isnan(v_all)
        times, values = t_all[keep], v_all[keep]
        prev = times - period
    elif transform == "growth":
        # growth between consecutive observed levels, kept where both ends are inside the window
        ok = ~np.isnan(v_all)
        t_obs, v_obs = t_all[ok], v_all[ok]
        inside = (t_obs[1:] >= start) & (t_obs[:-1] >= start) & (t_obs[1:] <= end)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = v_obs[1:] / v_obs[:-1] - 1.0
        times, values, prev = t_obs[1:][inside], growth[inside], t_obs[:-1][inside]
    else:
        keep = (t_all >= start) & (t_all <= end) & ~np.isnan(v_all)
        times, values = t_all[keep], v_all[keep]
    if times.size == 0:
        span = (f"{np.nanmin(t_all):g}–{np.nanmax(t_all):g}" if t_all.size else "none")
        raise CalibrationError(
            f"{where}series {name!r}: column {column!r} has no data inside the fit window "
            f"{start:g}–{end:g} (the data file's times: {span}); change start/end or the model's "
            "time horizon, or drop the series"
        )
    if not np.all(np.isfinite(values)):
        raise CalibrationError(f"{where}series {name!r}: a growth rate divides by a zero level")
    return times, values, prev


def _scale(table: Mapping[str, Any], values: np.ndarray, error: str, name: str,
           where: str) -> tuple[float | None, tuple[float, float]]:
    """The error scale (``None``: estimated) and its bounds."""
    scale_value = table.get("scale", "estimate")
    if scale_value == "estimate":
        scale = None
        spread = float(np.std(np.log(values))) if error == "lognormal" else float(np.std(values))
        typical = spread if spread > 0 else max(float(np.mean(np.abs(values))), 1e-12) * 0.1
        lo = _number(table.get("scale_min", typical * 1e-3), f"{where}series {name!r}: scale_min")
        hi = _number(table.get("scale_max", typical * 10.0), f"{where}series {name!r}: scale_max")
        if not 0 < lo < hi:
            raise CalibrationError(
                f"{where}series {name!r}: need 0 < scale_min < scale_max, got {lo:g}, {hi:g}"
            )
        bounds = (lo, hi)
    else:
        if isinstance(scale_value, str):
            raise CalibrationError(
                f"{where}series {name!r}: scale must be a number or \"estimate\", got "
                f"{scale_value!r}"
            )
        scale = _number(scale_value, f"{where}series {name!r}: scale")
        if scale <= 0:
            raise CalibrationError(f"{where}series {name!r}: scale must be greater than 0")
        for key in ("scale_min", "scale_max"):
            if key in table:
                raise CalibrationError(
                    f"{where}series {name!r}: {key} only applies to scale = \"estimate\""
                )
        bounds = (scale, scale)
    return scale, bounds


def _time_horizon(model: Model, scenario: Any) -> tuple[float, float]:
    params = model.scenario(scenario).to_params(model)
    controls = {py: info.value for py, info in model.controls.items()}
    controls.update({k: v for k, v in params.items() if k in controls})
    return float(controls["initial_time"]), float(controls["final_time"])


def _file_list(value: Any, base: Path) -> list[tuple[str, Path]] | None:
    """``(name as written, path)`` of a file name or a non-empty list of them, relative to
    ``base`` unless absolute; ``None`` if ``value`` is neither."""
    files = [value] if isinstance(value, str) else value
    if not (isinstance(files, list) and files and all(isinstance(f, str) for f in files)):
        return None
    return [(f, Path(f) if Path(f).is_absolute() else base / f) for f in files]


def _model_data(value: Any, base: Path, where: str) -> list[Path] | None:
    """The files of the model's data variables (``model_data``), relative to the calibration
    file; each must exist."""
    if value is None:
        return None
    files = _file_list(value, base)
    if files is None:
        raise CalibrationError(
            f"{where}'model_data' must be a file name or a list of file names (the values of "
            "the model's data variables, relative to the calibration file)"
        )
    for given, path in files:
        if not path.is_file():
            raise CalibrationError(
                f"{where}model_data file {given!r} not found (looked for {path}); paths are "
                "relative to the calibration file"
            )
    return [path for _, path in files]


def _model_and_data(data: Mapping[str, Any], model: Model | None, base: Path,
                    where: str) -> tuple[Model, pd.DataFrame, list[Path]]:
    """The model (the file's, unless given) and the joined data files."""
    if model is None:
        if "model" not in data:
            raise CalibrationError(f"{where}no 'model' key: name the model file to calibrate")
        target = Path(str(data["model"]))
        model = load_model(target if target.is_absolute() else base / target,
                           data_files=_model_data(data.get("model_data"), base, where))
    elif "model_data" in data:
        # the model given in place of the file's takes the file's data variables' values
        wanted = tuple(p.resolve() for p in _model_data(data["model_data"], base, where) or ())
        if not model.data_files:
            model = load_model(model.path, data_files=list(wanted))
        elif tuple(Path(f).resolve() for f in model.data_files) != wanted:
            raise CalibrationError(
                f"{where}the model given was loaded with data files "
                f"{', '.join(map(str, model.data_files))}, but model_data names "
                f"{', '.join(map(str, wanted))}: load it without data_files, or drop model_data"
            )
    files = _file_list(data.get("data"), base)
    if files is None:
        raise CalibrationError(
            f"{where}no 'data' key: name the CSV file of observations (or a list of files)"
        )
    data_paths = [path for _, path in files]
    return model, read_data_files(data_paths), data_paths


def _priors(priors_table: Any, model: Model, path: str | Path | None,
            where: str) -> UncertaintySpec:
    """The calibrated parameters' priors, parsed as an uncertainty file's (continuous only)."""
    if not isinstance(priors_table, Mapping) or not priors_table:
        raise CalibrationError(
            f'{where}no [parameters."Name"] tables: give each calibrated parameter a prior '
            'such as dist = "uniform", min = ..., max = ...'
        )
    try:
        priors = UncertaintySpec.from_dict({"parameters": priors_table}, model, path=path)
    except UncertaintyError as exc:
        raise CalibrationError(str(exc)) from None
    for p in priors.parameters:
        if isinstance(p.distribution, DiscreteChoice):
            raise CalibrationError(
                f"{where}parameter {p.name!r}: a 'choice' prior is discrete; calibration needs a "
                "continuous prior (uniform, triangular, normal, truncnormal, lognormal, beta, pert)"
            )
    return priors


def calibration_from_dict(
    data: Mapping[str, Any],
    *,
    model: Model | None = None,
    base: str | Path = ".",
    path: str | Path | None = None,
    text: str = "",
) -> CalibrationSpec:
    """Validate a parsed calibration file.

    Parameters
    ----------
    data
        The file's content (see the module documentation).
    model
        The model to calibrate; by default the file's ``model`` (relative to ``base``).
    base
        The folder relative paths are resolved against.
    path, text
        The file and its text, recorded in results and quoted in errors.

    Raises
    ------
    CalibrationError
        Unknown keys, a missing data column, a series without data in the fit window, a bad
        error model or scale, an invalid prior or a prior outside the declared range.
    UnknownNameError
        A series or parameter the model does not define (with the closest real names).
    """
    where = _where(path)
    base = Path(base)
    extra = sorted(set(data) - set(_TOP_KEYS))
    if extra:
        raise CalibrationError(
            f"{where}unexpected top-level key(s) {', '.join(map(repr, extra))}; allowed: "
            + ", ".join(_TOP_KEYS)
        )
    model, frame, data_paths = _model_and_data(data, model, base, where)
    scenario = data.get("scenario")
    if isinstance(scenario, str) and scenario.endswith(".toml"):
        candidate = Path(scenario)
        scenario = str(candidate if candidate.is_absolute() else base / candidate)
    t0, t1 = _time_horizon(model, scenario)
    start = _number(data.get("start", t0), f"{where}start")
    end = _number(data.get("end", t1), f"{where}end")
    if start < t0 or end > t1 or start >= end:
        raise CalibrationError(
            f"{where}the fit window {start:g}–{end:g} must lie inside the model's time horizon "
            f"{t0:g}–{t1:g} and start before it ends"
        )
    tables = data.get("series")
    if not isinstance(tables, Mapping) or not tables:
        raise CalibrationError(
            f'{where}no [series."Name"] tables: name at least one model variable to compare '
            "with a data column"
        )
    series = tuple(
        _series(model, name, table, frame, start, end, where, data_paths)
        for name, table in tables.items()
    )
    labels = [s.label for s in series]
    if len(set(labels)) != len(labels):
        raise CalibrationError(f"{where}a series is listed twice: {labels}")
    priors = _priors(data.get("parameters"), model, path, where)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise CalibrationError(f"{where}'description' must be a string")
    input_tables = data.get("inputs", {})
    if not isinstance(input_tables, Mapping):
        raise CalibrationError(f'{where}\'inputs\' must be tables [inputs."Name"]')
    inputs = tuple(_input(model, n, t, frame, t0, where) for n, t in input_tables.items())
    clash = {i.py_name for i in inputs} & {p.py_name for p in priors.parameters}
    if clash:
        raise CalibrationError(
            f"{where}{', '.join(sorted(clash))}: a constant cannot be both an input and a "
            "calibrated parameter"
        )
    digest = hashlib.sha256()
    for data_file in data_paths:
        digest.update(data_file.read_bytes())
    return CalibrationSpec(
        data_files=tuple(DataFile.read(p) for p in data_paths),
        model=model, series=series, priors=priors, scenario=scenario, start=start, end=end,
        text=text, path=str(path) if path else None,
        data_path=", ".join(str(p) for p in data_paths),
        data_sha256=digest.hexdigest(), description=description, inputs=inputs,
    )


def load_calibration(path: str | Path, model: Model | None = None) -> CalibrationSpec:
    """Read a calibration file and validate it against its model and data.

    Parameters
    ----------
    path
        A TOML calibration file (see the module documentation).
    model
        The model to calibrate; by default the file's ``model`` key.

    Returns
    -------
    CalibrationSpec

    Raises
    ------
    CalibrationError
        File missing or malformed (with file and line), or any problem listed in
        :func:`calibration_from_dict`.
    UnknownNameError
        A series or parameter the model does not define.

    Examples
    --------
    >>> from sdmodels.calibration import load_calibration
    >>> spec = load_calibration("tests/calibration/logistic.toml")
    >>> spec.parameter_names
    ('Growth Rate', 'Carrying Capacity', 'scale[Harvest]')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(
            f"calibration file {str(path)!r} does not exist; give the path of a .toml file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration file {str(path)!r}: {exc}") from None
    raw = parse_toml(text, path, CalibrationError)
    return calibration_from_dict(raw, model=model, base=path.parent, path=path, text=text)
