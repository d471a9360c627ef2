"""``sdmodels discover``: under which assumptions a scenario fails to beat another."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sdmodels._common import format_number
from sdmodels.cli._app import app, console, fail, guarded
from sdmodels.discovery import discover as run_discover
from sdmodels.plots import peeling_trajectory, save_figure
from sdmodels.results import open_dataset


@app.command()
def discover(
    mc_file: Annotated[Path, typer.Argument(help="A Monte Carlo result (.nc or .zarr) with "
                                            "every sample (not --quantiles-only).",
                                            show_default=False)],
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="The scenario examined.")],
    against: Annotated[str, typer.Option(help="The scenario it should beat.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The output compared.")],
    year: Annotated[float, typer.Option(help="The year compared.")],
    direction: Annotated[str | None, typer.Option(
        help="higher or lower is better. Default: as the result records it.")] = None,
    threshold: Annotated[float, typer.Option(
        help="Smallest share of failures in the box reported.")] = 0.8,
    peel_alpha: Annotated[float, typer.Option(help="Share peeled per step.")] = 0.05,
    mass_min: Annotated[float, typer.Option(help="Smallest box, as a share of all runs.")
                        ] = 0.05,
    plot: Annotated[Path | None, typer.Option(
        help="Peeling trajectory chart (.png, .svg or .pdf).")] = None,
) -> None:
    """Find the uncertain inputs under which a scenario fails to beat another (PRIM and CART).

    Every Monte Carlo sample in which the scenario does not beat the other in the output at the
    year is a failure. PRIM (Friedman & Fisher 1999) peels the space of uncertain inputs down to
    a box where failures concentrate, then pastes it back where that helps; a CART tree gives a
    second description. Each box is reported by its density (share of its runs that fail),
    coverage (share of all failures inside) and mass (share of all runs inside), and as a
    sentence.

    Examples:

        sdmodels mc --n 4000 --seed 1 --out mc.nc

        sdmodels discover mc.nc --scenario agility_first --against supply_push --output "Productivity Index" --year 2035
    """
    if direction is not None and direction not in ("higher", "lower"):
        fail(f"--direction must be higher or lower, got {direction!r}")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        fail(f"--plot {str(plot)!r}: use a .png, .svg or .pdf file name")
    if not mc_file.exists():
        fail(f"{str(mc_file)!r} does not exist; run `sdmodels mc --out FILE.nc` first")

    def work():
        ds = open_dataset(mc_file)
        start = time.perf_counter()
        found = run_discover(ds, scenario=scenario, against=against, output=output, year=year,
                             direction=direction, threshold=threshold,  # type: ignore[arg-type]
                             peel_alpha=peel_alpha, mass_min=mass_min)
        return found, time.perf_counter() - start

    found, elapsed = guarded(work)
    box = found.prim.box
    console.print(f"PRIM: {found.sentence()}", highlight=False)
    limits = Table(title="PRIM box", title_justify="left", header_style="bold")
    for col in ("input", "from", "to", "range in the runs"):
        limits.add_column(col, justify="left" if col == "input" else "right")
    for key, (lo, hi) in box.restricted().items():
        blo, bhi = box.bounds[key]
        limits.add_row(box.names.get(key, key), format_number(lo), format_number(hi),
                       f"{format_number(blo)} to {format_number(bhi)}")
    console.print(limits)
    traj = found.prim.trajectory
    steps = sorted(set(range(0, len(traj), max(1, len(traj) // 10))) | {found.prim.chosen,
                                                                       len(traj) - 1})
    table = Table(title="Peeling trajectory (every box on the way; * the one chosen, before "
                  "pasting)", title_justify="left", header_style="bold")
    for col in ("step", "coverage", "density", "mass", "inputs restricted"):
        table.add_column(col, justify="right")
    for i in steps:
        row = traj.loc[i]
        table.add_row(f"{i}{'*' if i == found.prim.chosen else ''}", f"{row.coverage:.0%}",
                      f"{row.density:.0%}", f"{row.mass:.0%}", str(int(row.restricted)))
    console.print(table)
    if found.cart:
        console.print("CART (a classification tree, for comparison):")
        for leaf in found.cart:
            console.print(f"  {found.sentence(leaf)}", highlight=False)
    else:
        console.print("CART: no leaf of the tree predicts failure (failures are too rare or "
                      "too spread out for a tree of depth 3)")
    console.print(f"{found.n} runs, {found.base_rate:.0%} failing, analysed in {elapsed:.2f} s")
    if plot is not None:
        guarded(lambda: save_figure(peeling_trajectory(found), plot))
        console.print(f"peeling trajectory written to {plot}")
