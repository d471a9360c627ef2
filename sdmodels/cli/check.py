"""``sdmodels check``: dimensional consistency of a model's equations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sdmodels.cli._app import MODEL_ARG_HELP, app, console, guarded, load
from sdmodels.units import check_units


@app.command()
def check(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
) -> None:
    """Check that every equation is dimensionally consistent with the declared units.

    Reads each variable's Vensim units (pint, every unit word its own base unit) and reports each
    equation whose right-hand side has other units than declared, or that adds, compares or takes
    the MIN/MAX of different units, with both sides' units. Exits 1 when any is found.

    Examples:

        sdmodels check

        sdmodels check my_model.mdl
    """
    m = load(model)
    issues = guarded(lambda: check_units(m))
    if not issues:
        console.print(f"{m.path.name}: units consistent in all {len(m.variables)} variables")
        return
    table = Table(title=f"{m.path.name}: {len(issues)} inconsistent equation(s)",
                  title_justify="left")
    for col in ("variable", "problem", "left side", "right side"):
        table.add_column(col, overflow="fold")
    for issue in issues:
        table.add_row(issue.variable, issue.message, issue.left, issue.right)
    console.print(table)
    raise typer.Exit(1)
