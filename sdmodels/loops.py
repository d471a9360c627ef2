"""Feedback loops declared in a model's metadata, checked against the model's equations.

A model's main feedback loops are stated once, in ``[[loops]]`` tables of its metadata file
(``<model>.sdmodels.toml``, see :mod:`sdmodels.metadata`)::

    [[loops]]
    name = "Work harder"
    polarity = "B"            # R: reinforcing, B: balancing
    variables = ["Waiting List", "Workload", "Work Pressure", "Work Intensity",
                 "Elective Treatments"]
    story = "A longer list raises pressure; staff work harder, treat more and the list falls."
    scenario = "combined"     # optional: evaluate the links under a shipped scenario


``variables`` is the cycle in the direction of influence: each variable's equation reads the one
before it, and the first reads the last. :func:`check_loops` verifies both claims against the
model: that every link is an edge of the model's dependency graph (PySD's dependencies of each
element, a stock depending on what its net flow reads, an ``INITIAL`` value on nothing), and that
the declared polarity is the product of the links' signs. A link's sign is measured, not
assumed: the model is run to an evaluation time, the source is set a little above and a little
below its value there, and the target's equation (a stock's net flow) is evaluated again; the
sign of the change is the link's sign. A link that changes sign between evaluation times is
reported, not guessed. Links that act only while a programme runs (an approach's benefit, its
abandonment) are evaluated under the scenario the loop names (default: the model's defaults).
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sdmodels._toml import parse_toml
from sdmodels.errors import ModelLoadError, UnknownNameError
from sdmodels.metadata import metadata_path

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = [
    "POLARITIES",
    "Link",
    "Loop",
    "LoopCheck",
    "check_loops",
    "declared_loops",
    "dependency_graph",
    "loops_fingerprint",
]

Polarity = Literal["R", "B"]
#: The polarity words of the metadata file and what each means.
POLARITIES: dict[str, str] = {"R": "reinforcing", "B": "balancing"}
_KEYS = {"name", "polarity", "variables", "story"}
_OPTIONAL = {"scenario"}
#: Evaluation times, as shares of the run from its initial to its final time.
_TIMES = (0.0, 0.25, 0.5, 1.0)
_STEPS = (1e-4, 1e-2, 0.1)


@dataclass(frozen=True)
class Loop:
    """One declared loop.

    Attributes
    ----------
    name
        Its name ("Work harder").
    polarity
        ``"R"`` (reinforcing) or ``"B"`` (balancing), as declared.
    variables
        Python names of the cycle, in the direction of influence.
    story
        One line saying what goes round.
    scenario
        The shipped scenario under which its links are evaluated (``None``: the model's
        defaults).
    """

    name: str
    polarity: Polarity
    variables: tuple[str, ...]
    story: str
    scenario: str | None = None

    def links(self) -> list[tuple[str, str]]:
        """The ``(source, target)`` pairs of the cycle, the last closing it."""
        v = self.variables
        return [(v[i], v[(i + 1) % len(v)]) for i in range(len(v))]


@dataclass(frozen=True)
class Link:
    """A link of a loop and its measured sign (``+1``, ``-1``; ``0``: no effect found or mixed)."""

    source: str
    target: str
    sign: int
    in_model: bool
    note: str = ""


@dataclass(frozen=True)
class LoopCheck:
    """A declared loop checked against the model.

    Attributes
    ----------
    loop
        The declaration.
    links
        Each link with its measured sign.
    polarity
        ``"R"`` or ``"B"`` from the product of the signs; ``None`` when a link is missing from the
        model or has no definite sign.
    problems
        What is wrong, in words (empty: the declaration holds).
    """

    loop: Loop
    links: tuple[Link, ...]
    polarity: Polarity | None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether the loop is a cycle of the model with the declared polarity."""
        return not self.problems


# ------------------------------------------------------------------------------ declarations
def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ModelLoadError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def declared_loops(model: Model) -> list[Loop]:
    """The ``[[loops]]`` of the model's metadata file, names resolved (empty without any).

    Raises
    ------
    ModelLoadError
        A loop lacks a key or has an unknown one, its polarity is not ``"R"`` or ``"B"``, it has
        fewer than two variables, repeats one, or names a variable the model does not define.
    """
    path = metadata_path(model.path)
    if not path.is_file():
        return []
    data = parse_toml(path.read_text(encoding="utf-8"), str(path), ModelLoadError)
    raw = data.get("loops", [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ModelLoadError(f"{path}: loops must be [[loops]] tables")
    loops: list[Loop] = []
    for i, table in enumerate(raw, start=1):
        where = f"{path}: [[loops]] number {i}"
        missing = sorted(_KEYS - set(table))
        unknown = sorted(set(table) - _KEYS - _OPTIONAL)
        if missing or unknown:
            raise ModelLoadError(f"{where}: missing key(s) {missing}, unknown key(s) {unknown}; "
                                 f"a loop has {sorted(_KEYS)} and may have {sorted(_OPTIONAL)}")
        name = _text(table["name"], where, "name")
        where = f"{path}: loop {name!r}"
        polarity = table["polarity"]
        if polarity not in POLARITIES:
            raise ModelLoadError(f"{where}: polarity = {polarity!r}; write \"R\" (reinforcing) "
                                 f"or \"B\" (balancing)")
        names = table["variables"]
        if not isinstance(names, list) or len(names) < 2:
            raise ModelLoadError(f"{where}: variables must list at least two variable names")
        try:
            variables = tuple(model.resolve(_text(n, where, "variables"), what="variable",
                                            context=where) for n in names)
        except UnknownNameError as exc:
            raise ModelLoadError(str(exc)) from None
        if len(set(variables)) != len(variables):
            raise ModelLoadError(f"{where}: a variable appears twice; list the cycle once")
        scenario = table.get("scenario")
        if scenario is not None and _text(scenario, where, "scenario") not in model.scenarios:
            raise ModelLoadError(f"{where}: scenario = {scenario!r} is not a shipped scenario; "
                                 f"choose one of {sorted(model.scenarios)}")
        loops.append(Loop(name, polarity, variables, _text(table["story"], where, "story"),
                          scenario))
    return loops


# ------------------------------------------------------------------------------ dependency graph
def dependency_graph(model: Model) -> dict[str, set[str]]:
    """What each element's equation reads during the run, by Python name.

    From PySD's dependencies of the model: a stock (or a delay, a smooth) depends on what its
    rate reads, not on its initial value; ``INITIAL`` values and the control variables are
    constant during a run and are not edges.
    """
    deps: dict[str, Any] = model.pysd.dependencies
    controls = set(model.controls) | {"time"}

    def expand(names: dict[str, Any]) -> Iterator[str]:
        for dep in names:
            if dep.startswith("_initial"):
                continue
            if dep.startswith("_"):  # a stateful object: what its step reads
                yield from expand(deps.get(dep, {}).get("step", {}))
            elif dep not in controls:
                yield dep

    return {py: set(expand(d)) for py, d in deps.items()
            if not py.startswith("_") and py not in controls and isinstance(d, dict)}


# ------------------------------------------------------------------------------ link signs
class _Probe:
    """A PySD copy of the model run to one time, whose equations are evaluated with one input
    moved."""

    def __init__(self, model: Model, time: float, scenario: str | None) -> None:
        self.pm = model.pysd.copy()
        self.deps: dict[str, Any] = model.pysd.dependencies
        params = model.scenario(scenario).to_params(model) if scenario else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.pm.run(params=params, final_time=time, return_timestamps=[time],
                        return_columns=[])

    def value(self, target: str) -> float:
        """The target's value, or a stock's (delay's) rate of change, at the probe's time."""
        self.pm.clean_caches()
        stateful = [d for d in self.deps.get(target, {}) if d.startswith("_")
                    and not d.startswith("_initial")]
        if stateful:
            obj = getattr(self.pm.components, stateful[0])
            return float(sum(_flat(obj.ddt())))
        return float(sum(_flat(getattr(self.pm.components, target)())))

    def response(self, source: str, target: str) -> float:
        """d target / d source, by a central difference (0: no effect at any step size)."""
        original = getattr(self.pm.components, source)
        self.pm.clean_caches()
        x0 = float(sum(_flat(original())))
        base = self.value(target)
        try:
            for rel in _STEPS:
                h = rel * max(abs(x0), 1e-3)
                changes = []
                for x in (x0 + h, x0 - h):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        self.pm.set_components({source: x})
                    changes.append(self.value(target) - base)
                diff = changes[0] - changes[1]
                if abs(diff) > 1e-9 * max(1.0, abs(base)) and math.isfinite(diff):
                    return diff / (2 * h)
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.pm.set_components({source: original})
            self.pm.clean_caches()
        return 0.0


def _flat(value: Any) -> list[float]:
    if hasattr(value, "values"):
        value = value.values
    try:
        return [float(v) for v in value.ravel()]
    except AttributeError:
        try:
            return [float(v) for v in value]
        except TypeError:
            return [float(value)]


def _sign(model: Model, probes: list[_Probe], source: str, target: str) -> tuple[int, str]:
    signs = set()
    for probe in probes:
        slope = probe.response(source, target)
        if slope:
            signs.add(1 if slope > 0 else -1)
    if len(signs) == 1:
        return signs.pop(), ""
    name = model.variables
    if not signs:
        return 0, (f"{name[source].name} -> {name[target].name}: no effect found at any "
                   f"evaluation time")
    return 0, f"{name[source].name} -> {name[target].name}: the sign changes during the run"


def check_loops(model: Model, loops: Sequence[Loop] | None = None) -> list[LoopCheck]:
    """Check loops (default: the declared ones) against the model's equations.

    Returns
    -------
    list of LoopCheck
        One per loop, in order; ``check.ok`` says whether it holds.
    """
    loops = declared_loops(model) if loops is None else list(loops)
    if not loops:
        return []
    graph = dependency_graph(model)
    controls = model.controls
    t0 = float(next(v.value for v in controls.values() if v.name.upper() == "INITIAL TIME"))
    t1 = float(next(v.value for v in controls.values() if v.name.upper() == "FINAL TIME"))
    probes: dict[str | None, list[_Probe]] = {}
    signs: dict[tuple[str | None, str, str], tuple[int, str]] = {}
    out = []
    for loop in loops:
        if loop.scenario not in probes:
            probes[loop.scenario] = [_Probe(model, t0 + share * (t1 - t0), loop.scenario)
                                     for share in _TIMES]
        links, problems = [], []
        for source, target in loop.links():
            if source not in graph.get(target, set()):
                links.append(Link(source, target, 0, False))
                problems.append(f"{model.variables[target].name} does not read "
                                f"{model.variables[source].name}: not a link of the model")
                continue
            key = (loop.scenario, source, target)
            if key not in signs:
                signs[key] = _sign(model, probes[loop.scenario], source, target)
            sign, note = signs[key]
            links.append(Link(source, target, sign, True, note))
            if note:
                problems.append(note)
        polarity: Polarity | None = None
        if not problems:
            polarity = "R" if math.prod(link.sign for link in links) > 0 else "B"
            if polarity != loop.polarity:
                problems.append(f"declared {loop.polarity} ({POLARITIES[loop.polarity]}) but the "
                                f"links' signs make it {polarity} ({POLARITIES[polarity]})")
        out.append(LoopCheck(loop, tuple(links), polarity, tuple(problems)))
    return out


def loops_fingerprint(checks: Sequence[LoopCheck], model: Model) -> str:
    """A short hash of the loops, their variables' names and the links' signs.

    Figures drawn from the loops carry it, so that a test can tell when they are out of date.
    """
    payload = [[c.loop.name, c.loop.polarity, c.loop.story, c.loop.scenario,
                [[model.variables[lk.source].name, model.variables[lk.target].name, lk.sign]
                 for lk in c.links]] for c in checks]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]
