"""``sdmodels compare``: what changed between two result files (exit 1 when outside tolerance)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from sdmodels._common import format_number, raise_if_interrupted
from sdmodels.cli._app import app, console, fail, guarded
from sdmodels.compare import DEFAULT_ATOL, DEFAULT_RTOL
from sdmodels.compare import compare as run_compare
from sdmodels.errors import ResultWriteError
from sdmodels.results import sibling_temp_path


def _write_report(path: Path, text: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ResultWriteError(f"cannot write the report to {str(path)!r}: folder "
                               f"{str(parent)!r} does not exist")
    tmp = sibling_temp_path(path, suffix=".html")
    try:
        tmp.write_text(text, encoding="utf-8")
        raise_if_interrupted()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@app.command()
def compare(
    a: Annotated[Path, typer.Argument(help="First results (.nc, .zarr, Vensim or PySD "
                                      ".tab/.csv).", show_default=False)],
    b: Annotated[Path, typer.Argument(help="Second results, in any of the same formats.",
                                      show_default=False)],
    rtol: Annotated[float, typer.Option(help="Relative tolerance.")] = DEFAULT_RTOL,
    atol: Annotated[float, typer.Option(help="Absolute tolerance.")] = DEFAULT_ATOL,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Compare only this scenario; repeat for several. Needed when "
        "one side is a one-run export and the other holds several scenarios.")] = None,
    variable: Annotated[list[str] | None, typer.Option(
        "--variable", "-v", help="Compare only this variable; repeat for several.")] = None,
    report: Annotated[Path | None, typer.Option(
        help="Write an HTML report (table and charts of the largest differences).")] = None,
    top: Annotated[int, typer.Option(help="Rows shown in the table.")] = 20,
) -> None:
    """Compare two results variable by variable, scenario by scenario.

    Names are matched as PySD normalises them ("Waiting List" = waiting_list) and subscripted
    values by element (Staff[Doctors]); times where both sides saved them. For each series, the
    largest absolute and relative differences, when the largest occurs and when the first value
    outside tolerance occurs (where a difference starts). A value is outside tolerance where
    |a - b| > atol + rtol * max(|a|, |b|).

    Exits with 0 when every value is within tolerance, 1 when any is not (a regression check
    in CI), 2 when the inputs cannot be compared.

    Examples:

        sdmodels compare results/old.nc results/new.nc

        sdmodels compare vensim_run.tab results/nhs_productivity.nc --scenario baseline

        sdmodels compare a.nc b.nc --rtol 1e-3 --report diff.html
    """
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        fail(f"--report {str(report)!r}: use an .html file name")
    result = guarded(lambda: run_compare(a, b, rtol=rtol, atol=atol, scenarios=scenario,
                                         variables=variable))
    table = Table(title=f"{a} vs {b}: largest differences", title_justify="left",
                  header_style="bold")
    for col in ("variable", "scenario", "max abs diff", "max rel diff", "at", "starts",
                "outside"):
        table.add_column(col, justify="left" if col in ("variable", "scenario") else "right")
    for row in result.table.head(top).itertuples(index=False):
        label = row.name + (f"[{row.subscript}]" if row.subscript else "")
        table.add_row(Text(label, style="" if row.ok else "red"), str(row.scenario), format_number(row.max_abs_diff),
                      format_number(row.max_rel_diff), format_number(row.at_time), format_number(row.first_outside),
                      str(row.n_outside))
    console.print(table, highlight=False)
    for label, names in (("only in A", result.only_in_a), ("only in B", result.only_in_b)):
        if names:
            shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more"
                                             if len(names) > 12 else "")
            console.print(f"{len(names)} variable(s) {label}: {shown}", highlight=False)
    console.print(result.summary(), highlight=False)
    if report is not None:
        guarded(lambda: _write_report(report, result.to_html()))
        console.print(f"report written to {report}")
    if not result.ok:
        raise typer.Exit(1)
