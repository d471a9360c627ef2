"""``sdmodels run``, ``sdmodels scenarios`` and ``sdmodels params``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sdmodels._common import format_number
from sdmodels.cli._app import (
    DATA_OPT_HELP,
    MODEL_ARG_HELP,
    app,
    console,
    fail,
    guarded,
    load,
    parse_years,
)
from sdmodels.cli._background import compile_in_background
from sdmodels.cli._chart import draw_chart
from sdmodels.cli.history import history_spec, usable_posterior, write_history
from sdmodels.compiler import UnsupportedFeature
from sdmodels.errors import ResultWriteError, SDModelsError
from sdmodels.profiles import find_profiles, with_profile
from sdmodels.results import check_writable, summary_table, write_dataset
from sdmodels.scenarios import common_horizon

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from sdmodels.compiler import CompiledModel
    from sdmodels.scenarios import Scenario

DEFAULT_YEARS = "2024,2030,2035,2040"

ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="Starting point: a shipped profile's name (see "
                 "`sdmodels profiles`) or a profile .toml file. Default: the model file's values."),
]


@app.command()
def run(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario name or .toml file; repeat for several. "
                     "Default: every scenario shipped for the model (or its own defaults)."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="auto (compiled where supported, else PySD), compiled or pysd.")
    ] = "auto",
    out: Annotated[
        Path | None,
        typer.Option(help="Results file (.nc, .zarr; or .xlsx, .csv, .parquet tables). "
                     "Default: results/MODEL_NAME.nc"),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Chart of the key outputs (.png, .svg or .pdf). "
                                  "Default: results/MODEL_NAME.png")
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(help="Years shown in the summary table. Default: 2024,2030,2035,2040 "
                     "where the model's horizon has them, else its first, middle and last year."),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option("--output", "-o", help="Variable to summarise and plot; repeat for several. "
                     "Default: the model's key outputs."),
    ] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw a chart.")] = False,
    profile: ProfileOpt = None,
    posterior: Annotated[
        Path | None,
        typer.Option(help="Calibration result (.nc) whose posterior medians the runs start "
                     "from. Default: the model's posterior (its metadata), if it declares one."),
    ] = None,
    prior: Annotated[bool, typer.Option("--prior", help="Use the model file's own parameter "
                                        "values, not its calibrated posterior.")] = False,
    history: Annotated[bool, typer.Option("--history", help="Run the model over history "
                                          "(2010-2024) with its historic inputs and write "
                                          "simulated against observed, with a chart per series "
                                          "(as `sdmodels history`).")] = False,
    data: Annotated[list[Path] | None, typer.Option("--data", help=DATA_OPT_HELP)] = None,
) -> None:
    """Run scenarios of a model over its whole horizon and save the results.

    Writes a netCDF file (dimensions scenario and time; units and provenance in its attributes),
    prints a summary table of the key outputs at chosen years and draws a chart of the key outputs
    by scenario.

    Examples:

        sdmodels run

        sdmodels run --scenario baseline --scenario combined --out combined.nc

        sdmodels run my_model.mdl --engine pysd

        sdmodels run --profile models/profiles/illustrative_ics.toml

        sdmodels run --history
    """
    if engine not in ("auto", "compiled", "pysd"):
        fail(f"--engine must be auto, compiled or pysd, got {engine!r}")
    if posterior is not None and prior:
        fail("give --posterior or --prior, not both")
    if history:
        spec_path = guarded(lambda: history_spec(model, None))
        write_history(spec_path, posterior=posterior, prior=prior, out=out, no_plot=no_plot)
        return
    m = load(model, data)
    chosen_years = parse_years(years)
    default_dir = Path("results")
    if out is None or (plot is None and not no_plot):
        default_dir.mkdir(exist_ok=True)
    out = out or default_dir / f"{m.name}.nc"
    plot_path = None if no_plot else (plot or default_dir / f"{m.name}.png")
    table_years: list[float] = []

    def work() -> tuple[xr.Dataset, list[str], list[Scenario], float]:
        check_writable(out, tables=True)
        if plot_path is not None:
            _check_plot_path(plot_path)
        scenarios = scenario or list(m.scenarios) or [None]
        variables = [m.resolve(o, what="variable", context="--output") for o in output] \
            if output else m.key_outputs
        # validate every scenario, and the years against their horizon, before the first run
        chosen = [m.scenario(s) for s in scenarios]
        if profile is not None:
            chosen = with_profile(m, chosen, profile)
        resolved = [s.to_params(m) for s in chosen]
        span = common_horizon(m, chosen, resolved)
        table_years[:] = _check_years(span, chosen_years)
        run_engine = engine
        if engine != "pysd":
            cm = _compile_with_status(m)
            note = None if engine != "auto" or cm is None else \
                compile_in_background(m, cm, len(chosen))
            if note is not None:  # a long compile: PySD now, the kernel for later runs
                console.print(note, highlight=False)
                run_engine = "pysd"
        calibrated = None if prior else (posterior or usable_posterior(m))
        start = time.perf_counter()
        ds = m.run(chosen, engine=run_engine, progress=True,  # type: ignore[arg-type]
                   posterior=calibrated)
        elapsed = time.perf_counter() - start
        write_dataset(ds, out)
        return ds, variables, chosen, elapsed

    ds, variables, chosen, elapsed = guarded(work)

    if variables:
        table = summary_table(ds, variables, table_years or [float(ds.time[-1])])
        _print_table(table, title=f"{m.path.name}: key outputs by scenario")
    console.print(
        f"{len(chosen)} scenario(s) with the {ds.attrs['engine']} engine in {elapsed:.2f} s; "
        f"results written to {out}"
    )
    console.print(f"parameters: posterior medians of {ds.attrs['posterior_file']}"
                  if "posterior_file" in ds.attrs else "parameters: the model file's own values")
    if plot_path is not None and not variables:
        console.print("no chart: the model has no stocks or auxiliaries to show; name "
                      "variables with --output")
    elif plot_path is not None:
        if draw_chart(ds, variables, plot_path):
            console.print(f"chart written to {plot_path}")
        else:
            console.print(f"chart unchanged: {plot_path} already shows these results")


def _check_years(span: tuple[float, float], years: list[float] | None) -> list[float]:
    """The summary years: the given ones, refused if outside the horizon, or a default."""
    lo, hi = span
    if years is None:
        default = [y for y in parse_years(DEFAULT_YEARS) or [] if lo <= y <= hi]
        return default if len(default) >= 2 else sorted({lo, round((lo + hi) / 2), hi})
    outside = [y for y in years if y < lo or y > hi]
    if outside:
        fail(f"--years {', '.join(f'{y:g}' for y in outside)} outside the model's horizon "
             f"[{lo:g}, {hi:g}]; choose years within it")
    return years


def _compile_with_status(model) -> CompiledModel | None:  # noqa: ANN001 - sdmodels.Model
    """Compile (or load the cached kernel) with a spinner; ``None`` if the model is not supported."""
    with console.status(f"compiling {model.path.name} (first run only; the kernel is cached)"):
        try:
            return model.compiled()
        except UnsupportedFeature:
            return None  # engine="auto" falls back to PySD and says why; "compiled" raises in run


def _check_plot_path(path: Path) -> None:
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ResultWriteError(f"--plot {str(path)!r}: use a .png, .svg or .pdf file name")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise ResultWriteError(f"--plot {str(path)!r}: folder {str(path.parent)!r} does not exist")


def _print_table(df, *, title: str) -> None:  # noqa: ANN001 - pandas DataFrame
    """One block of rows per variable (units in its label), one row per scenario."""
    table = Table(title=title, title_justify="left", header_style="bold")
    year_cols = [c for c in df.columns if c not in ("variable", "units", "scenario")]
    table.add_column("variable", no_wrap=False, max_width=28)
    has_scenarios = "scenario" in df.columns
    if has_scenarios:
        table.add_column("scenario", no_wrap=True)
    for col in year_cols:
        table.add_column(str(col), justify="right", no_wrap=True)
    previous = None
    for row in df.to_dict("records"):
        label = f"{row['variable']} ({_units(row['units'])})"
        if previous is not None and label != previous:
            table.add_section()
        cells = [label if label != previous else ""]
        if has_scenarios:
            cells.append(str(row["scenario"]))
        cells += [format_number(row[c]) for c in year_cols]
        table.add_row(*cells)
        previous = label
    console.print(table)


def _units(units: object) -> str:
    text = str(units or "")
    return "dimensionless" if text.lower() in ("", "dmnl", "1") else text


@app.command()
def scenarios(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
) -> None:
    """List the scenarios shipped for a model, with their descriptions and levers."""
    m = load(model)
    try:
        found = m.scenarios
    except SDModelsError as exc:
        fail(str(exc))
    if not found:
        console.print(f"{m.path.name} has no scenario files beside it (scenarios/*.toml).")
        return
    table = Table(title=f"Scenarios of {m.path.name}", title_justify="left", show_lines=True)
    table.add_column("name", style="bold")
    table.add_column("description")
    table.add_column("levers (value from start year)")
    for name, s in found.items():
        levers = "\n".join(f"{lv.name} = {lv.value:g} from {lv.start:g}" for lv in s.levers)
        params = "\n".join(f"{k} = {v}" for k, v in s.parameters.items())
        table.add_row(name, s.description, "\n".join(x for x in (levers, params) if x) or "-")
    console.print(table)


@app.command()
def params(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-k", help="Show only names or sources containing this.")
    ] = None,
    sector: Annotated[str | None, typer.Option(help="Show only this sector (Vensim view).")] = None,
) -> None:
    """List the model's parameters: name, value, units, range and source."""
    m = load(model)
    table = Table(title=f"Parameters of {m.path.name}", title_justify="left", show_lines=False)
    for col in ("name", "value", "units", "range", "sector", "source"):
        table.add_column(col, overflow="fold")
    shown = 0
    for info in m.parameters.values():
        text = f"{info.name} {info.py_name} {info.doc}".lower()
        if search and search.lower() not in text:
            continue
        if sector and (info.sector or "").lower() != sector.lower():
            continue
        value = info.value
        shown_value = (f"{value:g}" if isinstance(value, float)
                       else str(value.tolist() if hasattr(value, "tolist") else value))
        rng = f"[{'?' if info.min is None else f'{info.min:g}'}, " \
              f"{'?' if info.max is None else f'{info.max:g}'}]"
        table.add_row(info.name, shown_value, info.units, rng, info.sector or "", info.doc)
        shown += 1
    console.print(table)
    console.print(f"{shown} of {len(m.parameters)} parameters")


@app.command()
def variables(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-k", help="Show only names or comments containing this.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Show only this kind: stock, stateful, auxiliary, constant, lookup, data "
                          "or control."),
    ] = None,
    sector: Annotated[str | None, typer.Option(help="Show only this sector (Vensim view).")] = None,
) -> None:
    """List every model variable (the names --output, charts and results use): name, kind, units, sector."""
    m = load(model)
    kinds = sorted({v.kind for v in m.variables.values()})
    if kind is not None and kind.lower() not in kinds:
        fail(f"unknown --kind {kind!r}; the model's kinds are {', '.join(kinds)}")
    table = Table(title=f"Variables of {m.path.name}", title_justify="left", show_lines=False)
    for col in ("name", "kind", "units", "sector", "comment"):
        table.add_column(col, overflow="fold")
    shown = 0
    for info in m.variables.values():
        text = f"{info.name} {info.py_name} {info.doc}".lower()
        if search and search.lower() not in text:
            continue
        if kind and info.kind != kind.lower():
            continue
        if sector and (info.sector or "").lower() != sector.lower():
            continue
        table.add_row(info.name, info.kind, info.units, info.sector or "", info.doc)
        shown += 1
    console.print(table)
    console.print(f"{shown} of {len(m.variables)} variables")


@app.command()
def profiles(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
) -> None:
    """List the profiles (starting points) shipped for a model, with what each describes."""
    m = load(model)
    found = guarded(lambda: find_profiles(m))
    if not found:
        console.print(f"{m.path.name} has no profile files beside it (profiles/*.toml).")
        return
    table = Table(title=f"Profiles of {m.path.name}", title_justify="left", show_lines=True)
    for col in ("name", "title", "values", "file"):
        table.add_column(col, style="bold" if col == "name" else None, overflow="fold")
    for name, prof in found.items():
        # the console prints markup literally (user text may hold brackets): style with Text
        label = Text(prof.title)
        if prof.illustrative:
            label.append(" (illustrative)", style="yellow")
        label.append(f"\n{prof.description}")
        table.add_row(name, label, str(len(prof.entries)),
                      str(prof.path.name if prof.path else ""))
    console.print(table)
    console.print("Use one with `sdmodels run --profile NAME` (or a .toml path); "
                  "models/profiles/_template.toml is the form for a local system.")
