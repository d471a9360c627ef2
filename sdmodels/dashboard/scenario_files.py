"""Scenarios as the TOML files ``sdmodels run --scenario FILE`` reads, both ways.

The dashboard exports saved scenarios in this format, imports them back, and keeps them in the
browser's storage as the same text, so that a scenario made in the dashboard runs unchanged from
the command line.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from sdmodels.errors import ScenarioError
from sdmodels.scenarios import Scenario, load_scenario

__all__ = ["MAX_SCENARIO_BYTES", "scenario_from_toml", "scenario_to_toml"]

#: Largest scenario file accepted on import (a scenario is a few hundred bytes).
MAX_SCENARIO_BYTES = 64_000


def _string(text: str) -> str:
    # a JSON string with ASCII escapes is a valid TOML basic string
    return json.dumps(text, ensure_ascii=True)


def _number(value: Any) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"cannot write the non-finite value {value!r} to a scenario file")
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _value(value: Any) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return _number(value)


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as a TOML scenario file.

    Examples
    --------
    >>> from sdmodels.scenarios import Lever
    >>> s = Scenario(name="plan", description='My "plan"', levers=(Lever("Flow", 0.5, 2026),))
    >>> print(scenario_to_toml(s))
    description = "My \\"plan\\""
    <BLANKLINE>
    [levers."Flow"]
    value = 0.5
    start = 2026
    <BLANKLINE>
    >>> scenario_from_toml(scenario_to_toml(s), name="plan") == Scenario(
    ...     name="plan", description='My "plan"', levers=(Lever("Flow", 0.5, 2026),))
    True
    """
    lines = []
    if scenario.model:
        lines.append(f"model = {_string(scenario.model)}")
    lines.append(f"description = {_string(scenario.description)}")
    if scenario.allow_out_of_range:
        names = ", ".join(_string(n) for n in sorted(scenario.allow_out_of_range))
        lines.append(f"allow_out_of_range = [{names}]")
    if scenario.parameters:
        lines += ["", "[parameters]"]
        lines += [f"{_string(k)} = {_value(v)}" for k, v in scenario.parameters.items()]
    for lever in scenario.levers:
        lines += ["", f"[levers.{_string(lever.name)}]", f"value = {_number(lever.value)}",
                  f"start = {_number(lever.start)}"]
    return "\n".join(lines) + "\n"


def scenario_from_toml(text: str, *, name: str) -> Scenario:
    """Read a scenario from the text of a TOML scenario file, validated as files are.

    Raises
    ------
    ScenarioError
        The text is too long, is not TOML, or does not follow the scenario schema.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"scenario {name!r} is larger than {MAX_SCENARIO_BYTES} bytes; "
                            "a scenario file holds a few levers and parameters")
    with tempfile.TemporaryDirectory(prefix="sdmodels-scenario-") as folder:
        path = Path(folder) / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        try:
            scenario = load_scenario(path, name=name)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(str(path), f"scenario {name!r}")) from None
    return Scenario(name=scenario.name, description=scenario.description,
                    parameters=scenario.parameters, levers=scenario.levers,
                    allow_out_of_range=scenario.allow_out_of_range, model=scenario.model)
