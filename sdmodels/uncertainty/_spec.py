"""Uncertainty specifications: which parameters vary, how, and how they co-vary.

An uncertainty file is TOML with one table per uncertain parameter::

    description = "Workforce parameters of the NHS productivity model"

    [parameters."Nurse Leaver Rate"]
    dist = "triangular"
    min = 0.09
    mode = 0.115
    max = 0.125
    source = "Nuffield Trust, Peak leaving? (2022): about 1 in 9 a year"

    [[correlations]]                      # optional Spearman rank correlations
    between = ["Nurse Leaver Rate", "Doctor Leaver Rate"]
    rank = 0.5
    reason = "both respond to the same pay and workload conditions"

Each parameter table holds ``dist``, the distribution's arguments and, optionally, a
``source`` and/or ``reason`` string. Names may be Vensim or Python names.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from sdmodels._common import format_number
from sdmodels._diagnose import check_memory
from sdmodels._toml import decode_utf8, parse_toml
from sdmodels.errors import UncertaintyError, UnknownNameError
from sdmodels.uncertainty._distributions import Distribution, distribution_from_dict
from sdmodels.uncertainty._sampling import (
    SamplingMethod,
    Seed,
    iman_conover,
    resolve_seed,
    unit_sample,
    validate_correlation,
)

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["NOTE_KEYS", "UncertainParameter", "UncertaintySpec", "as_uncertainty", "load_uncertainty"]

#: Free-text keys allowed beside a distribution's arguments.
NOTE_KEYS = ("source", "reason")
_TOP_KEYS = ("description", "model", "parameters", "correlations")
_CORRELATION_KEYS = ("between", "rank", "reason", "source")


def _refuse_extra_keys(table: Mapping[str, Any], allowed: Sequence[str], message: str) -> None:
    """Raise ``message`` naming the keys of ``table`` that are not ``allowed``, if any."""
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise UncertaintyError(
            f"{message} {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
        )


@dataclass(frozen=True)
class UncertainParameter:
    """One uncertain model constant.

    Attributes
    ----------
    name
        Vensim name, e.g. ``"Nurse Leaver Rate"``.
    py_name
        Python name, e.g. ``"nurse_leaver_rate"``.
    distribution
        Its distribution.
    source, reason
        Where the distribution comes from and why it was chosen.
    """

    name: str
    py_name: str
    distribution: Distribution
    source: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The parameter's table as in an uncertainty file (``dist``, arguments, notes)."""
        out = self.distribution.to_dict()
        out.update({k: v for k, v in (("source", self.source), ("reason", self.reason)) if v})
        return out


@dataclass(frozen=True, eq=False)
class UncertaintySpec:
    """Uncertain parameters of one model and, optionally, their rank correlations.

    Build it with :func:`load_uncertainty` (from a file) or :meth:`from_dict`.

    Attributes
    ----------
    parameters
        The uncertain parameters, in file order.
    correlation
        Target Spearman rank-correlation matrix in parameter order, or ``None`` for
        independent parameters.
    description
        Free text from the file.
    path
        The file it was read from, if any.
    model_name, model_hash
        The model it was validated against.
    """

    parameters: tuple[UncertainParameter, ...]
    correlation: NDArray[np.float64] | None = None
    description: str = ""
    path: str | None = None
    model_name: str = ""
    model_hash: str = ""
    _names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.parameters:
            raise UncertaintyError(
                f"{self._where()}no uncertain parameters: add at least one [parameters.\"Name\"] table"
            )
        py = [p.py_name for p in self.parameters]
        dupes = sorted({n for n in py if py.count(n) > 1})
        if dupes:
            raise UncertaintyError(
                f"{self._where()}parameter(s) given twice: {', '.join(dupes)}; keep one table each"
            )
        object.__setattr__(self, "_names", tuple(py))
        if self.correlation is not None:
            corr = validate_correlation(self.correlation, tuple(p.name for p in self.parameters))
            corr.setflags(write=False)
            object.__setattr__(self, "correlation", corr)

    def _where(self) -> str:
        return f"{self.path}: " if self.path else ""

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], model: Model, *, path: str | Path | None = None
    ) -> UncertaintySpec:
        """Validate a parsed uncertainty file against ``model``.

        Parameters
        ----------
        data
            The file's content: ``parameters`` (name → table, or name →
            :class:`~sdmodels.uncertainty.Distribution`), optional ``correlations`` (list of
            ``{between = [a, b], rank = r}``), ``description`` and ``model``.
        model
            The model whose constants are made uncertain.
        path
            The file, quoted in error messages.

        Raises
        ------
        UncertaintyError
            Unknown keys, invalid distributions, supports outside declared ranges, invalid
            correlations.
        UnknownNameError
            A parameter the model does not have (the message names the closest ones).

        Examples
        --------
        >>> import sdmodels
        >>> from sdmodels.uncertainty import Triangular, Uniform
        >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
        >>> spec = UncertaintySpec.from_dict(
        ...     {"parameters": {"X1": Uniform(min=-1.0, max=1.0),
        ...                     "X2": Triangular(min=-1.0, mode=0.0, max=1.0)},
        ...      "correlations": [{"between": ["X1", "X2"], "rank": 0.3}]}, m)
        >>> spec.names, float(spec.correlation[0, 1])
        (('x1', 'x2'), 0.3)
        """
        where = f"{path}: " if path else ""
        context = str(path) if path else None
        _refuse_extra_keys(data, _TOP_KEYS, f"{where}unexpected top-level key(s)")
        written_for = data.get("model")
        if written_for is not None and Path(str(written_for)).name != model.path.name:
            raise UncertaintyError(
                f"{where}this file is written for the model {written_for!r}, not "
                f"{model.path.name!r}; load that model, or remove or change the 'model' key"
            )
        tables = data.get("parameters")
        if not isinstance(tables, Mapping) or not tables:
            raise UncertaintyError(
                f"{where}no [parameters.\"Name\"] tables: give each uncertain parameter a table "
                "with dist = ... and its arguments"
            )
        params: list[UncertainParameter] = []
        for name, table in tables.items():
            params.append(_parameter(model, name, table, where=where, context=context))
        corr = _correlation_matrix(data.get("correlations"), params, model, where, context)
        description = data.get("description", "")
        if not isinstance(description, str):
            raise UncertaintyError(f"{where}'description' must be a string")
        return cls(
            parameters=tuple(params),
            correlation=corr,
            description=description,
            path=str(path) if path else None,
            model_name=model.name,
            model_hash=model.hash,
        )

    # ------------------------------------------------------------------ description
    @property
    def names(self) -> tuple[str, ...]:
        """Python names of the uncertain parameters, in order."""
        return self._names

    @property
    def distributions(self) -> tuple[Distribution, ...]:
        """The distributions, in parameter order."""
        return tuple(p.distribution for p in self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def select(self, names: Sequence[str] | int) -> UncertaintySpec:
        """The specification restricted to some of its parameters (in file order).

        Parameters
        ----------
        names
            Vensim or Python names of parameters of this specification, or a number ``k`` for
            its first ``k`` parameters. Rank correlations among the kept parameters are kept.

        Raises
        ------
        UncertaintyError
            A name that is not among the parameters (the message lists the closest), or a
            count outside ``1 .. len(self)``.

        Examples
        --------
        >>> import sdmodels
        >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
        >>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
        >>> spec.select(["x3", "x1"]).names
        ('x1', 'x3')
        >>> spec.select(2).names
        ('x1', 'x2')
        """
        if isinstance(names, int | np.integer) and not isinstance(names, bool):
            names = int(names)
            if not 1 <= names <= len(self):
                raise UncertaintyError(
                    f"{self._where()}cannot select the first {names} parameters of "
                    f"{len(self)}; give a number from 1 to {len(self)}"
                )
            keep = list(range(names))
        else:
            if isinstance(names, str):
                names = [names]
            if not names:
                raise UncertaintyError(f"{self._where()}select at least one parameter")
            index = {}
            for i, p in enumerate(self.parameters):
                index[p.name] = index[p.py_name] = i
            unknown = [n for n in names if n not in index]
            if unknown:
                close = difflib.get_close_matches(unknown[0], list(dict.fromkeys(index)), n=3)
                hint = f"; closest: {', '.join(close)}" if close else ""
                raise UncertaintyError(
                    f"{self._where()}not among the uncertain parameters: "
                    f"{', '.join(map(repr, unknown))}{hint}"
                )
            keep = sorted({index[n] for n in names})
        corr = None
        if self.correlation is not None:
            corr = self.correlation[np.ix_(keep, keep)]
            if np.allclose(corr, np.eye(len(keep))):
                corr = None
        return dataclasses.replace(self, parameters=tuple(self.parameters[i] for i in keep),
                                   correlation=corr)

    def to_dict(self) -> dict[str, Any]:
        """The specification in the same form as an uncertainty file (Vensim names)."""
        out: dict[str, Any] = {"parameters": {p.name: p.to_dict() for p in self.parameters}}
        if self.description:
            out["description"] = self.description
        if self.correlation is not None:
            pairs = []
            k = len(self.parameters)
            for i in range(k):
                for j in range(i + 1, k):
                    if self.correlation[i, j] != 0:
                        pairs.append(
                            {
                                "between": [self.parameters[i].name, self.parameters[j].name],
                                "rank": float(self.correlation[i, j]),
                            }
                        )
            out["correlations"] = pairs
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON (stored in result attributes)."""
        return json.dumps(self.to_dict())

    # ------------------------------------------------------------------ sampling
    def transform(self, unit: ArrayLike) -> NDArray[np.float64]:
        """Map unit-hypercube points to parameter values through each inverse CDF.

        Parameters
        ----------
        unit
            Shape ``(n, len(self))``, values in ``[0, 1]``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, len(self))``.
        """
        u = np.asarray(unit, dtype=np.float64)
        if u.ndim != 2 or u.shape[1] != len(self):
            raise UncertaintyError(
                f"unit sample must have shape (n, {len(self)}), got {u.shape}"
            )
        out = np.empty_like(u)
        for j, p in enumerate(self.parameters):
            # Designs such as Saltelli's and Morris' repeat each coordinate many times:
            # evaluate the (possibly slow, e.g. beta) inverse CDF once per distinct value.
            distinct, inverse = np.unique(u[:, j], return_inverse=True)
            try:
                out[:, j] = p.distribution.ppf(distinct)[inverse]
            except UncertaintyError as exc:
                raise UncertaintyError(f"{p.name!r}: {exc}") from None
        return out

    def check_design_size(
        self, runs: int, *, what: str, fix: str = "use a smaller n (--n)"
    ) -> None:
        """Refuse, before anything is drawn, a design of ``runs`` rows that cannot fit in memory.

        Drawing holds about three arrays of the design's size at once (the unit design, its
        pieces and the parameter values). ``what`` names the analysis and its size, ``fix`` how
        to proceed; the message adds the estimate and the memory available.

        Raises
        ------
        SDModelsError
            The estimate exceeds 80% of the memory available now.
        """
        k = max(len(self), 1)
        needed = 3 * int(runs) * k * 8
        check_memory(needed, what=f"{what}: the design ({int(runs):,} runs x {k} parameters x 8 "
                     f"bytes, 3 copies while it is drawn: {needed:,} bytes)", fix=fix)

    def design(self, values: ArrayLike, *, method: str, seed: int | None) -> xr.DataArray:
        """Label a ``(n, k)`` array of parameter values as a design DataArray.

        The result has dims ``sample`` and ``parameter`` (Python names), a
        ``parameter_name`` coordinate with the Vensim names, and attrs recording the
        sampling ``method``, the ``seed`` (``"unrecorded"`` where a generator was passed)
        and the specification as JSON.
        """
        arr = np.asarray(values, dtype=np.float64)
        return xr.DataArray(
            arr,
            dims=("sample", "parameter"),
            coords={
                "sample": np.arange(arr.shape[0]),
                "parameter": list(self.names),
                "parameter_name": ("parameter", [p.name for p in self.parameters]),
            },
            name="design",
            attrs={
                "long_name": "sampled parameter values",
                "sampler": method,
                "seed": "unrecorded" if seed is None else int(seed),
                "uncertainty": self.to_json(),
                # the file by name only: a result never records local folders
                "uncertainty_file": Path(self.path).name if self.path else "",
            },
        )

    def sample(
        self, n: int, *, method: SamplingMethod = "lhs", seed: Seed = None
    ) -> xr.DataArray:
        """Draw a design of ``n`` parameter sets.

        Parameters
        ----------
        n
            Number of samples (a power of 2 for ``method="sobol"``).
        method
            ``"random"``, ``"lhs"`` (Latin hypercube, default) or ``"sobol"`` (scrambled
            Sobol sequence).
        seed
            An integer (``0`` included) makes the design reproducible; ``None`` draws a
            seed and records it in the attrs; a :class:`numpy.random.Generator` is used as
            given.

        Returns
        -------
        xarray.DataArray
            Dims ``sample`` and ``parameter``; attrs ``sampler``, ``seed``, ``uncertainty``.
            Rank correlations, if any, are imposed with Iman–Conover.

        Examples
        --------
        >>> import sdmodels
        >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
        >>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
        >>> design = spec.sample(8, method="lhs", seed=0)
        >>> dict(design.sizes), design.attrs["sampler"], design.attrs["seed"]
        ({'sample': 8, 'parameter': 3}, 'lhs', 0)
        """
        rng, recorded = resolve_seed(seed)
        unit = unit_sample(n, len(self), method=method, rng=rng)
        if self.correlation is not None:
            unit = iman_conover(unit, self.correlation, rng=rng)
        return self.design(self.transform(unit), method=method, seed=recorded)


def _parameter(
    model: Model, name: str, table: Any, *, where: str, context: str | None
) -> UncertainParameter:
    if isinstance(table, Distribution):
        table = table.to_dict()
    if not isinstance(table, Mapping):
        raise UncertaintyError(
            f"{where}parameter {name!r}: expected a table such as "
            f'[parameters."{name}"] with dist = "uniform", min = ..., max = ...; got {table!r}'
        )
    py = model.resolve(name, what="parameter", context=context, among=model.parameters)
    info = model.parameters[py]
    notes = {k: table[k] for k in NOTE_KEYS if k in table}
    for key, value in notes.items():
        if not isinstance(value, str):
            raise UncertaintyError(f"{where}parameter {name!r}: {key!r} must be a string")
    try:
        dist = distribution_from_dict({k: v for k, v in table.items() if k not in NOTE_KEYS})
    except UncertaintyError as exc:
        raise UncertaintyError(f"{where}parameter {name!r}: {exc}") from None
    lo, hi = dist.support
    below = info.min is not None and lo < info.min
    above = info.max is not None and hi > info.max
    if below or above:
        declared = f"[{format_number(info.min, compact=False)}, {format_number(info.max, compact=False)}]"
        raise UncertaintyError(
            f"{where}parameter {name!r}: {dist.describe()} has support [{lo:g}, {hi:g}], which "
            f"leaves the range {declared} declared in the model file; use a distribution inside "
            "the range (e.g. truncnormal, or narrower min/max), or widen the range in the model"
        )
    return UncertainParameter(
        name=info.name,
        py_name=py,
        distribution=dist,
        source=notes.get("source", ""),
        reason=notes.get("reason", ""),
    )


def _correlation_matrix(
    entries: Any,
    params: Sequence[UncertainParameter],
    model: Model,
    where: str,
    context: str | None,
) -> NDArray[np.float64] | None:
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise UncertaintyError(
            f"{where}'correlations' must be an array of tables: "
            '[[correlations]] between = ["A", "B"], rank = 0.5'
        )
    index = {p.py_name: i for i, p in enumerate(params)}
    corr = np.eye(len(params))
    for k, entry in enumerate(entries, start=1):
        label = f"{where}correlation #{k}"
        if not isinstance(entry, Mapping):
            raise UncertaintyError(f"{label}: expected a table with 'between' and 'rank'")
        _refuse_extra_keys(entry, _CORRELATION_KEYS, f"{label}: unexpected key(s)")
        pair = entry.get("between")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise UncertaintyError(f"{label}: 'between' must list two parameter names")
        rank = entry.get("rank")
        if isinstance(rank, bool) or not isinstance(rank, (int, float)) or not -1 < rank < 1:
            raise UncertaintyError(
                f"{label}: 'rank' must be a number strictly between -1 and 1, got {rank!r}"
            )
        ij = []
        for name in pair:
            try:
                py = model.resolve(name, what="parameter", context=context, among=index)
            except UnknownNameError as exc:
                raise UncertaintyError(
                    f"{label}: {exc}; correlations may only name parameters that have a "
                    "[parameters] table in the same file"
                ) from None
            ij.append(index[py])
        i, j = ij
        if i == j:
            raise UncertaintyError(f"{label}: a parameter cannot be correlated with itself")
        if corr[i, j] != 0:
            raise UncertaintyError(f"{label}: correlation between {pair[0]!r} and {pair[1]!r} given twice")
        corr[i, j] = corr[j, i] = float(rank)
    return corr


def load_uncertainty(path: str | Path, model: Model) -> UncertaintySpec:
    """Read an uncertainty file and validate it against ``model``.

    Parameters
    ----------
    path
        A TOML uncertainty file (see the module documentation for its layout).
    model
        The model whose constants it makes uncertain.

    Returns
    -------
    UncertaintySpec

    Raises
    ------
    UncertaintyError
        File missing, malformed TOML (with file and line), invalid distribution arguments,
        a support outside the declared ``[min, max]`` of a constant, invalid correlations.
    UnknownNameError
        A parameter the model does not have (the message names the closest real names).

    Examples
    --------
    >>> import sdmodels
    >>> from sdmodels.uncertainty import load_uncertainty
    >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
    >>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
    >>> spec.names
    ('x1', 'x2', 'x3')
    """
    path = Path(path)
    try:
        text = decode_utf8(path.read_bytes(), path, UncertaintyError)
    except FileNotFoundError:
        raise UncertaintyError(
            f"uncertainty file {str(path)!r} does not exist; give the path of a .toml file "
            "(see models/uncertainty/ for examples)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UncertaintyError(f"cannot read uncertainty file {str(path)!r}: {exc}") from None
    raw = parse_toml(text, path, UncertaintyError)
    return UncertaintySpec.from_dict(raw, model, path=path)


def as_uncertainty(spec: UncertaintySpec | str | os.PathLike[str], model: Model) -> UncertaintySpec:
    """``spec`` itself, or the uncertainty file at that path read for ``model``.

    The analyses (:func:`~sdmodels.montecarlo.run_mc`, :func:`~sdmodels.sensitivity.sobol`,
    :func:`~sdmodels.sensitivity.morris`) take either.

    Raises
    ------
    UncertaintyError
        Neither a specification nor a path, or the file's own errors (see :func:`load_uncertainty`).

    Examples
    --------
    >>> import sdmodels
    >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
    >>> as_uncertainty("models/uncertainty/ishigami.toml", m).names
    ('x1', 'x2', 'x3')
    """
    if isinstance(spec, UncertaintySpec):
        return spec
    if isinstance(spec, str | os.PathLike):
        return load_uncertainty(spec, model)
    raise UncertaintyError(
        f"the uncertain parameters must be an UncertaintySpec or the path of an uncertainty file "
        f"(.toml), not {type(spec).__name__}; read one with "
        "sdmodels.uncertainty.load_uncertainty(path, model)"
    )
