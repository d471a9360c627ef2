"""The fields of "Your starting point" and their export as a profile file.

The fields are read from the model's profile files through :mod:`sdmodels.profiles`, never
listed here: the keys of ``profiles/_template.toml`` beside the model (the form for a local
system), else of the England profile, else of the first shipped profile, plus the model's
population by age band (every constant named ``Initial Population ...``) where the profile does
not carry it. A model with no profiles falls back on the starting values of
:data:`~sdmodels.dashboard._constants.START_POINT` it defines. So when the model gains a profile
field (unmet need, theatres), the form shows it without a change here.

:func:`profile_toml` writes the form's values as a profile in the schema of
``models/profiles/_template.toml`` (``sdmodels run --profile FILE`` runs it): each value keeps
the scale and source of the profile it started from where it is unchanged, and says that it was
entered in the dashboard where it was changed.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from sdmodels.dashboard._constants import START_POINT
from sdmodels.errors import SDModelsError
from sdmodels.profiles import Profile, ProfileError, find_profiles, load_profile

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model, ParameterInfo

__all__ = ["ENTERED", "field_groups", "profile_toml", "reference_profile", "start_fields"]

#: The source written for a value changed in the form.
ENTERED = ("Entered in the sdmodels dashboard ('Your starting point'); replace with the "
           "publication, table and year of the figure.")
_POPULATION = "initial population"


def reference_profile(model: Model) -> Profile | None:
    """The profile whose keys the form shows (see the module docstring), if the model has one."""
    template = model.path.parent / "profiles" / "_template.toml"
    if template.is_file():
        try:
            return load_profile(template)
        except ProfileError:
            pass
    try:
        shipped = find_profiles(model)
    except SDModelsError:
        return None
    return shipped.get("england") or next(iter(shipped.values()), None)


def _parameter(model: Model, name: str) -> ParameterInfo | None:
    try:
        py = model.resolve(name, what="parameter", among=model.parameters)
    except SDModelsError:
        return None
    info = model.parameters[py]
    return info if math.prod(getattr(info.value, "shape", ())) <= 1 else None


def start_fields(model: Model) -> list[ParameterInfo]:
    """The starting values the form shows, in the order of the reference profile."""
    ref = reference_profile(model)
    names = list(ref.entries) if ref else [n for _, group in START_POINT for n in group]
    fields = [p for p in (_parameter(model, n) for n in names) if p is not None]
    seen = {p.py_name for p in fields}
    if ref is not None:
        fields += [p for py, p in model.parameters.items()
                   if p.name.lower().startswith(_POPULATION) and py not in seen]
    return list({p.py_name: p for p in fields}.values())


def field_groups(model: Model, fields: list[ParameterInfo]) -> list[tuple[str, list[Any]]]:
    """The fields grouped by the sector the model draws them in (population first)."""
    groups: dict[str, list[Any]] = {}
    for info in fields:
        if info.name.lower().startswith(_POPULATION):
            key = "Population (by the model's age bands)"
        else:
            key = info.sector or "Other"
        groups.setdefault(key, []).append(info)
    order = sorted(groups, key=lambda k: (not k.startswith("Population"), 0))
    return [(k, groups[k]) for k in order]


def _scale(info: ParameterInfo) -> str:
    units = (info.units or "").replace(" ", "").lower()
    rate = units in ("", "dmnl", "dimensionless", "1/year") or units.startswith("1/")
    return "intensive" if rate else "extensive"


def profile_toml(model: Model, fields: list[ParameterInfo], values: dict[str, float], *,
                 base: Profile | None, title: str = "My system, as set in the dashboard") -> str:
    """The form's values as a profile file (TOML).

    Parameters
    ----------
    model
        The model.
    fields
        The form's fields (:func:`start_fields`).
    values
        The values set, by Python name (fields not in it take the model's value).
    base
        The profile the form started from (its scales and sources are kept for unchanged
        values), or ``None``.
    title
        The profile's title.
    """
    ref = base or reference_profile(model)
    lines = [
        "# Starting point set in the sdmodels dashboard ('Your starting point'), as a profile:",
        f"#   sdmodels run {model.path.name} --profile FILE",
        "# Replace each source that says it was entered in the dashboard with the figure's own.",
        'name = "my_system"',
        f"title = {json.dumps(title)}",
        "description = " + json.dumps(
            "Starting values entered in the dashboard" + (f", from {ref.title}." if ref else ".")),
        f"model = {json.dumps(model.path.name)}",
        "illustrative = true",
    ]
    for info in fields:
        value = float(values.get(info.py_name, float(info.value)))
        entry = ref.entries.get(info.name) if ref else None
        unchanged = entry is not None and math.isclose(entry.value, value, rel_tol=1e-12)
        source = entry.source if unchanged and entry is not None else (
            "Model file default: " + info.doc if math.isclose(value, float(info.value))
            and info.doc else ENTERED)
        lines += ["", f"[values.{json.dumps(info.name)}]", f"value = {value!r}",
                  f"scale = {json.dumps(entry.scale if entry else _scale(info))}",
                  f"source = {json.dumps(source if len(source) >= 3 else ENTERED)}"]
    return "\n".join(lines) + "\n"
