"""Profiles: the starting point of a model run (a nation, a region, an integrated care system).

A profile is a TOML file of absolute starting values (staff, beds, population, waiting list,
finances) and local rates, each with its source. Applied to a run it sets those constants before
the scenario's levers; explicit ``params`` still win. England is the bundled default
(``models/profiles/england.toml``); ``models/profiles/_template.toml`` is the form to copy for a
local system.

File format::

    name = "my_ics"                       # optional; defaults to the file stem
    title = "My ICS, 2024"
    description = "What the figures describe."
    model = "nhs_productivity.mdl"         # optional: the model the profile was written for
    illustrative = false                   # true where figures are not the system's own

    [values."Initial Nurses"]
    value = 9800
    scale = "extensive"                    # stock or flow: scales with the size of the system
    source = "NHS England, NHS Workforce Statistics, March 2024, trusts of the ICS"

``scale`` is ``"extensive"`` for stocks and flows (staff, beds, population, referrals, budgets) and
``"intensive"`` for rates, shares and times (vacancy rates, margins, morale). :meth:`Profile.scaled`
multiplies the extensive values only, which is how an illustrative system is derived from England.

Examples
--------
>>> import sdmodels
>>> from sdmodels.profiles import find_profiles
>>> profiles = find_profiles(sdmodels.load_model())
>>> profiles["england"].title
'England, 2024'
>>> half = profiles["england"].scaled(0.5, name="half")
>>> half.values["Initial Nurses"] == profiles["england"].values["Initial Nurses"] / 2
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sdmodels._toml import parse_toml
from sdmodels.errors import SDModelsError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = [
    "Profile",
    "ProfileEntry",
    "ProfileError",
    "ProfileFile",
    "find_profiles",
    "load_profile",
    "profile_schema",
    "resolve_profile",
    "with_profile",
]

Scale = Literal["extensive", "intensive"]


class ProfileError(SDModelsError, ValueError):
    """A profile file that cannot be read, or that does not fit the model."""


class ProfileEntry(BaseModel):
    """One starting value of a profile, with its scale and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(description="The value, in the units the model declares for it.")
    scale: Scale = Field(description="extensive (stocks, flows) or intensive (rates, shares, times)")
    source: str = Field(min_length=3, description="Publication, table and year of the figure.")
    note: str = Field(default="", description="How the figure was derived, if not read directly.")

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class ProfileFile(BaseModel):
    """The schema of a profile file (``models/profiles/*.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    title: str = Field(min_length=1)
    description: str = ""
    model: str | None = None
    illustrative: bool = False
    values: dict[str, ProfileEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Profile:
    """A validated profile: starting values by Vensim name, with their scales and sources.

    Attributes
    ----------
    name
        Short name (the file stem unless the file names itself).
    title, description
        What the figures describe.
    entries
        The values with scale and source, by the names used in the file.
    illustrative
        True where the figures are not the system's own (for example England scaled down).
    model
        The model file name the profile was written for, if stated.
    path
        The file it was read from, if any.
    """

    name: str
    title: str
    entries: Mapping[str, ProfileEntry]
    description: str = ""
    illustrative: bool = False
    model: str | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def values(self) -> dict[str, float]:
        """The starting values by the names used in the file."""
        return {k: e.value for k, e in self.entries.items()}

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"profile {self.name!r}"

    def scaled(self, factor: float, *, name: str | None = None, title: str | None = None) -> Profile:
        """Multiply every extensive value by ``factor`` (intensive values are kept).

        Raises
        ------
        ProfileError
            ``factor`` is not a positive finite number.
        """
        if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 0):
            raise ProfileError(f"scale factor must be a positive number, got {factor!r}")
        entries = {
            k: e.model_copy(update={"value": e.value * factor}) if e.scale == "extensive" else e
            for k, e in self.entries.items()
        }
        return replace(self, name=name or f"{self.name}_x{factor:g}",
                       title=title or f"{self.title} scaled by {factor:g}", entries=entries,
                       illustrative=True, path=None)

    def to_params(self, model: Model, *, allow_out_of_range: bool = False) -> dict[str, float]:
        """Validate against ``model`` and return the values by Python name.

        Raises
        ------
        ProfileError
            A key the model does not define as a constant (with the closest names), or a value
            outside the model's declared range; the message names the key and the file.
        """
        out: dict[str, float] = {}
        for key, entry in self.entries.items():
            try:
                py = model.resolve_parameter(key, context=self.where)
            except UnknownNameError as exc:
                raise ProfileError(f"{self.where}: key [values.{key!r}]: {exc}") from None
            info = model.parameters[py]
            try:
                info.check(entry.value, allow_out_of_range=allow_out_of_range)
            except ValueError as exc:
                raise ProfileError(f"{self.where}: key [values.{key!r}]: {exc}") from None
            out[py] = entry.value
        return out

    def apply(self, model: Model, scenario: Scenario) -> Scenario:
        """The scenario with this profile's values underneath its own parameters."""
        self.to_params(model)
        merged: dict[str, Any] = dict(self.values)
        merged.update(scenario.parameters)
        suffix = f" Starting point: {self.title} (profile {self.name})."
        return replace(scenario, parameters=merged,
                       description=(scenario.description + suffix).strip())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (for result files and forms)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "illustrative": self.illustrative,
            "values": {k: e.model_dump() for k, e in self.entries.items()},
        }


def profile_schema() -> dict[str, Any]:
    """The JSON schema of a profile file (for forms that edit profiles).

    Examples
    --------
    >>> sorted(profile_schema()["properties"])
    ['description', 'illustrative', 'model', 'name', 'title', 'values']
    """
    return ProfileFile.model_json_schema()


def _format_validation(exc: ValidationError, where: str) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(repr(p) if isinstance(p, str) and " " in p else str(p) for p in err["loc"])
        parts.append(f"{where}: key {loc}: {err['msg']}")
    return "\n".join(parts)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file.

    Raises
    ------
    ProfileError
        The file is missing, not TOML, or does not follow the schema (the message names the key).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile file {str(p)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile file {str(p)!r}: {exc}") from None
    data = parse_toml(text, p, ProfileError)
    try:
        parsed = ProfileFile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_format_validation(exc, str(p))) from None
    return Profile(
        name=parsed.name or p.stem,
        title=parsed.title,
        description=parsed.description,
        entries=dict(parsed.values),
        illustrative=parsed.illustrative,
        model=parsed.model,
        path=p,
    )


def find_profiles(model: Model) -> dict[str, Profile]:
    """The profiles shipped beside ``model`` (``profiles/*.toml``; files starting ``_`` are forms)."""
    folder = model.path.parent / "profiles"
    found: dict[str, Profile] = {}
    if folder.is_dir():
        for f in sorted(folder.glob("*.toml")):
            if f.name.startswith("_"):
                continue
            prof = load_profile(f)
            if prof.model and prof.model != model.path.name:
                continue
            found[prof.name] = prof
    return found


def resolve_profile(model: Model, profile: str | Path | Profile) -> Profile:
    """A shipped profile by name, a profile file path, or a :class:`Profile` as given."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, Path) or str(profile).endswith(".toml"):
        return load_profile(profile)
    shipped = find_profiles(model)
    if profile in shipped:
        return shipped[profile]
    raise UnknownNameError(
        str(profile), list(shipped), what="profile",
        context=f"the profiles of {model.path.name} (run `sdmodels profiles` to list them)",
    )


def with_profile(
    model: Model,
    scenario: str | Path | Scenario | Sequence[str | Path | Scenario] | None,
    profile: str | Path | Profile | None,
) -> Any:
    """Scenario(s) with a profile's starting values applied underneath; unchanged if no profile."""
    if profile is None:
        return scenario
    prof = resolve_profile(model, profile)
    if isinstance(scenario, Sequence) and not isinstance(scenario, (str, bytes)):
        return [prof.apply(model, model.scenario(s)) for s in scenario]
    return prof.apply(model, model.scenario(scenario))
