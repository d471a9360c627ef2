"""``sdmodels attribute``: which levers of a scenario produce its difference from another."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sdmodels._common import format_number
from sdmodels.attribution import attribute as run_attribution
from sdmodels.attribution import attribution_table
from sdmodels.cli._app import MODEL_ARG_HELP, app, console, fail, guarded, load, parse_years
from sdmodels.cli.uncertainty import load_spec, output_paths
from sdmodels.plots import save_figure, waterfall
from sdmodels.results import select_years, write_dataset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

_ENGINES = ("auto", "compiled", "pysd")
_SHAPLEY = ("auto", "exact", "permutation")


def _print_attribution(frame: pd.DataFrame, ds: xr.Dataset) -> None:
    info = frame.attrs
    units = info["units"]
    unit_text = "" if units.lower() in ("", "dmnl", "1") else f" ({units})"
    sampled = "p5" in frame
    title = (f"{info['output_name']}{unit_text} in {info['year']:g}: {ds.attrs['scenario']} "
             f"vs {ds.attrs['against']}, split by Shapley values"
             + (f" (means over {ds.attrs['n_samples']} samples)" if sampled else ""))
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in ("factor", "change", "Shapley", "share", "alone"):
        table.add_column(col, justify="left" if col in ("factor", "change") else "right")
    if "se" in frame:
        table.add_column("std. error", justify="right")
    if sampled:
        table.add_column("5%", justify="right")
        table.add_column("95%", justify="right")
    for row in frame.itertuples(index=False):
        cells = [row.factor, row.change, format_number(row.shapley),
                 "-" if math.isnan(row.share) else f"{100 * row.share:.0f}%", format_number(row.alone)]
        if "se" in frame:
            cells.append(format_number(row.se))
        if sampled:
            cells += [format_number(row.p5), format_number(row.p95)]
        table.add_row(*cells)
    console.print(table)
    share = info["interaction_share"]
    text = (f"difference {format_number(info['total'])} ({format_number(info['value_against'])} -> "
            f"{format_number(info['value_scenario'])})")
    if sampled:
        text += f", 5-95% range {format_number(info['total_p5'])} to {format_number(info['total_p95'])}"
    if not math.isnan(share):
        text += (f"; interactions (the levers together beyond their separate effects) "
                 f"{format_number(info['interaction'])}, {100 * share:.0f}% of the difference")
    console.print(text)


def _print_over_time(ds: xr.Dataset, output: str, years: list[float]) -> None:
    at = select_years(ds.sel(output=output), years)
    phi = at["shapley"].mean("sample") if "sample" in at.dims else at["shapley"]
    total = at["total"].mean("sample") if "sample" in at.dims else at["total"]
    table = Table(title=f"{at['output_name'].values} over time: Shapley values",
                  title_justify="left", header_style="bold")
    table.add_column("factor")
    for t in at["time"].values:
        table.add_column(f"{t:g}", justify="right")
    for f in ds["factor"].values:
        table.add_row(str(ds["factor_name"].sel(factor=f).values),
                      *(format_number(float(x)) for x in phi.sel(factor=f).values))
    table.add_row(Text("total", style="bold"), *(format_number(float(x)) for x in total.values))
    console.print(table)


@app.command()
def attribute(
    scenario: Annotated[str, typer.Argument(help="Scenario to explain (a name or .toml file).")],
    against: Annotated[str, typer.Option(help="Scenario compared with.")] = "baseline",
    output: Annotated[
        list[str] | None,
        typer.Option("--output", "-o", help="Output to explain; repeat for several. "
                     "Default: the model's key outputs."),
    ] = None,
    year: Annotated[str | None, typer.Option(help="Year of the table and waterfall. "
                                             "Default: the last.")] = None,
    years: Annotated[str, typer.Option(help="Years of the table over time.")] = "2030,2035,2040",
    n: Annotated[int | None, typer.Option("--n", "-n", help="Monte Carlo samples: attribute "
                                          "in each and show the 5-95% range.")] = None,
    uncertainty: Annotated[Path | None, typer.Option(
        "--uncertainty", "-u", help="Uncertainty file for --n. Default: "
        "models/uncertainty/MODEL_NAME.toml")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (0 is a seed).")] = None,
    shapley: Annotated[str, typer.Option(help="exact (all 2^k lever subsets), permutation "
                                         "(sampled orderings) or auto (exact up to 14).")
                       ] = "auto",
    permutations: Annotated[int, typer.Option(help="Orderings for --shapley permutation.")
                            ] = 512,
    model: Annotated[Path | None, typer.Option("--model", "-m", help=MODEL_ARG_HELP)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Results file (.nc, .zarr, .xlsx, .csv or .parquet). "
        "Default: results/MODEL_NAME_attribution_SCENARIO.nc")] = None,
    plot: Annotated[Path | None, typer.Option(
        help="Waterfall chart (.png, .svg or .pdf); one per output when several. "
        "Default: beside --out.")] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw the waterfall.")
                       ] = False,
    engine: Annotated[str, typer.Option(help="compiled (default), auto or pysd.")] = "compiled",
) -> None:
    """Split the difference a scenario makes among its levers and parameter overrides.

    Every subset of the scenario's levers is run in one batch (up to 14 levers; beyond, random
    orderings with standard errors), and the difference from --against is split by Shapley
    values: they add up to the difference exactly, and each lever's value is its effect alone
    plus its fair share of what the levers do together (the interactions). Prints the split at
    one year and over time, writes every value over time, and draws a waterfall.

    Examples:

        sdmodels attribute combined

        sdmodels attribute combined --against supply_push --output "Productivity Index" --year 2035

        sdmodels attribute combined -o "Productivity Index" --n 200 --seed 1
    """
    if engine not in _ENGINES:
        fail(f"--engine must be one of {', '.join(_ENGINES)}, got {engine!r}")
    if shapley not in _SHAPLEY:
        fail(f"--shapley must be one of {', '.join(_SHAPLEY)}, got {shapley!r}")
    at_year = parse_years(year)
    if at_year is not None and len(at_year) != 1:
        fail(f"--year takes one year, got {year!r}")
    over_time = parse_years(years) or []
    m = load(model)

    def paths() -> tuple[Path, Path | None]:
        return output_paths(m, out, plot, no_plot, f"attribution_{Path(scenario).stem}")

    out_path, plot_path = guarded(paths)

    def work() -> tuple[xr.Dataset, float]:
        spec = None
        if n is not None:
            spec = load_spec(m, uncertainty)
        start = time.perf_counter()
        ds = run_attribution(m, scenario=scenario, against=against, outputs=output, spec=spec,
                             n=n, seed=seed, shapley=shapley,  # type: ignore[arg-type]
                             permutations=permutations, engine=engine,  # type: ignore[arg-type]
                             progress=True)
        elapsed = time.perf_counter() - start
        write_dataset(ds, out_path)
        return ds, elapsed

    ds, elapsed = guarded(work)
    outputs = [str(o) for o in ds["output"].values]
    chosen = at_year[0] if at_year else None
    in_range = [y for y in over_time if ds.time.min() <= y <= ds.time.max()]
    for o in outputs:
        frame = guarded(lambda o=o: attribution_table(ds, o, year=chosen))
        _print_attribution(frame, ds)
        if in_range:
            _print_over_time(ds, o, in_range)
    method = ("exact" if ds.attrs["shapley_method"] == "exact"
              else f"{ds.attrs['permutations']} sampled orderings")
    console.print(
        f"{ds.attrs['n_factors']} factors, {ds.attrs['n_coalitions']} coalitions ({method})"
        + (f" x {ds.attrs['n_samples']} samples" if ds.attrs["n_samples"] else "")
        + f" = {ds.attrs['n_runs']} runs with the {ds.attrs['engine']} engine in "
        f"{elapsed:.2f} s; results written to {out_path}"
    )
    if plot_path is None:
        return
    for o in outputs:
        path = plot_path if len(outputs) == 1 else \
            plot_path.with_name(f"{plot_path.stem}_{o}{plot_path.suffix}")
        save_figure(waterfall(ds, o, year=chosen), path)
        console.print(f"waterfall written to {path}")
