"""``sdmodels mc``, ``sdmodels sobol`` and ``sdmodels morris``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table

from sdmodels._common import DEFAULT_ENGINE, ENGINES, format_number
from sdmodels._paths import MODELS_DIR
from sdmodels.cli._app import MODEL_ARG_HELP, app, console, fail, guarded, load, parse_years
from sdmodels.cli._cluster import ResumeOpt, SchedulerOpt
from sdmodels.cli.history import usable_posterior
from sdmodels.cli.run import ProfileOpt
from sdmodels.errors import SDModelsError
from sdmodels.export import TABLE_FORMATS
from sdmodels.montecarlo import output_variables, run_mc
from sdmodels.plots import ranked_bar, save_figure, stacked_areas
from sdmodels.profiles import with_profile
from sdmodels.results import check_writable, write_dataset
from sdmodels.sensitivity import morris as run_morris
from sdmodels.sensitivity import ranking
from sdmodels.sensitivity import sobol as run_sobol
from sdmodels.uncertainty import load_uncertainty

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

    from sdmodels.model import Model
    from sdmodels.uncertainty import UncertaintySpec

DEFAULT_MC_YEARS = "2030,2035,2040"

ModelArg = Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)]
UncertaintyOpt = Annotated[
    Path | None,
    typer.Option("--uncertainty", "-u", help="Uncertainty file (.toml). Default: "
                 "models/uncertainty/MODEL_NAME.toml"),
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option("--output", "-o", help="Output to analyse; repeat for several. "
                 "Default: the model's key outputs."),
]
SeedOpt = Annotated[
    int | None, typer.Option(help="Seed of the design (0 is a seed). Default: drawn and recorded.")
]
EngineOpt = Annotated[
    str, typer.Option(help="auto (default: compiled where supported), compiled or pysd.")
]
PlotOpt = Annotated[
    Path | None,
    typer.Option(help="Figure file (.png, .svg or .pdf); one per output, named after it when "
                 "there are several. Default: beside --out."),
]
NoPlotOpt = Annotated[bool, typer.Option("--no-plot", help="Do not draw figures.")]


def _spec_path(m: Model, uncertainty: Path | None) -> Path:
    if uncertainty is not None:
        return uncertainty
    for folder in (m.path.parent / "uncertainty", MODELS_DIR / "uncertainty"):
        candidate = folder / f"{m.name}.toml"
        if candidate.is_file():
            return candidate
    fail(
        f"no uncertainty file given and none found for {m.path.name} "
        f"(looked for uncertainty/{m.name}.toml); pass --uncertainty FILE"
    )


def load_spec(m: Model, uncertainty: Path | None) -> UncertaintySpec:
    return load_uncertainty(_spec_path(m, uncertainty), m)


def output_paths(m: Model, out: Path | None, plot: Path | None, no_plot: bool,
                 kind: str) -> tuple[Path, Path | None]:

    if out is None:
        Path("results").mkdir(exist_ok=True)
        out = Path("results") / f"{m.name}_{kind}.nc"
    check_writable(out, tables=True)
    if no_plot:
        return out, None
    plot = plot or out.with_name(f"{out.stem}.png")
    if plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise SDModelsError(f"--plot {str(plot)!r}: use a .png, .svg or .pdf file name")
    if not (plot.parent if str(plot.parent) else Path(".")).is_dir():
        raise SDModelsError(f"--plot {str(plot)!r}: folder {str(plot.parent)!r} does not exist")
    return out, plot


def _figure_paths(plot: Path, outputs: list[str]) -> dict[str, Path]:
    if len(outputs) == 1:
        return {outputs[0]: plot}
    return {o: plot.with_name(f"{plot.stem}_{o}{plot.suffix}") for o in outputs}


def _check_horizon(m: Model, years: list[float] | None, option: str) -> None:
    """Refuse years outside the model's horizon before anything runs (never snap or drop)."""
    if not years:
        return
    lo, hi = m.controls["initial_time"].value, m.controls["final_time"].value
    outside = [y for y in years if y < lo or y > hi]
    if outside:
        fail(f"{option} {', '.join(f'{y:g}' for y in outside)} outside the model's horizon "
             f"[{lo:g}, {hi:g}]; choose years within it")


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        fail(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")


def _print_frame(df: pd.DataFrame, *, title: str, text_columns: tuple[str, ...]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in df.columns:
        table.add_column(str(col), justify="left" if col in text_columns else "right",
                         no_wrap=col not in ("parameter", "output"))
    for row in df.itertuples(index=False):
        table.add_row(*(format_number(v) for v in row))
    console.print(table)


# ---------------------------------------------------------------------------- mc
@app.command()
def mc(
    model: ModelArg = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario name or .toml file; repeat for several. "
                     "Default: every scenario shipped for the model."),
    ] = None,
    uncertainty: UncertaintyOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Number of samples.")] = 1000,
    seed: SeedOpt = None,
    method: Annotated[str, typer.Option(help="Sampler: lhs, random or sobol.")] = "lhs",
    out: Annotated[
        Path | None, typer.Option(help="Results file (.nc, .zarr; or .xlsx, .csv, .parquet "
                                  "tables). "
                                  "Default: results/MODEL_NAME_mc.nc")
    ] = None,
    quantiles_only: Annotated[
        bool, typer.Option("--quantiles-only", help="Store only quantiles and probabilities, "
                           "not every sample (for large N).")
    ] = False,
    output: OutputOpt = None,
    years: Annotated[str, typer.Option(help="Years shown in the summary table.")] = DEFAULT_MC_YEARS,
    engine: EngineOpt = DEFAULT_ENGINE,
    plot: PlotOpt = None,
    no_plot: NoPlotOpt = False,
    scheduler: SchedulerOpt = None,
    resume: ResumeOpt = False,
    posterior: Annotated[
        Path | None,
        typer.Option(help="Calibration result (.nc, from `sdmodels calibrate`): samples are joint "
                     "posterior draws; with --uncertainty, its other parameters are sampled too. "
                     "Default: the model's posterior (its metadata) with the uncertainty file's "
                     "other parameters."),
    ] = None,
    profile: ProfileOpt = None,
    prior: Annotated[bool, typer.Option("--prior", help="Sample the uncertainty file only, "
                                        "not the model's calibrated posterior.")] = False,
) -> None:
    """Monte Carlo over an uncertainty file, with common random numbers across scenarios.

    Every scenario runs the same sampled parameter sets, so that differences between scenarios
    are not blurred by sampling noise. Prints the median and 5/25/75/95% values of the key outputs
    at chosen years and the probability that each scenario beats the baseline; saves the samples
    (or only quantiles) with the design, and draws fan charts.

    With --out, samples stream to disk as they are run (only the design, samples x parameters,
    stays in memory); the result file appears only when complete. After Ctrl-C or a crash, the same command with --resume
    continues where the run stopped.

    Examples:

        sdmodels mc --n 1000 --seed 1

        sdmodels mc --scenario baseline --scenario combined --n 10000 --quantiles-only --out mc.nc

        sdmodels mc --n 1000000 --out mc.zarr --scheduler tcp://host:8786 --resume
    """
    _check_engine(engine)
    m = load(model)
    chosen_years = parse_years(years)
    if years != DEFAULT_MC_YEARS:  # the default adapts to the horizon; given years must fit it
        _check_horizon(m, chosen_years, "--years")

    out_path, plot_path = guarded(lambda: output_paths(m, out, plot, no_plot, "mc"))

    if posterior is not None and prior:
        fail("give --posterior or --prior, not both")

    def work() -> tuple[xr.Dataset, float]:
        calibrated = posterior if posterior is not None or prior else usable_posterior(m)
        spec = load_spec(m, uncertainty) if posterior is None or uncertainty else None
        scenarios = scenario or list(m.scenarios) or None
        if profile is not None:
            scenarios = with_profile(m, scenarios or [None], profile)
        for s in scenarios or []:
            m.scenario(s).to_params(m)  # validate every scenario before the first run
        # tables people open (.xlsx, .csv, .parquet) are written at the end; .nc/.zarr stream
        table = out_path.suffix.lower() in TABLE_FORMATS
        if table and resume:
            raise SDModelsError("--resume continues a run streamed to a .nc or .zarr file; "
                                f"{out_path.suffix} results are written when the run ends")
        start = time.perf_counter()
        ds = run_mc(m, spec, n=n, scenarios=scenarios, seed=seed, method=method,  # type: ignore[arg-type]
                    outputs=output, quantiles_only=quantiles_only, engine=engine,  # type: ignore[arg-type]
                    progress=True, scheduler=scheduler, out=None if table else out_path,
                    resume=resume, posterior=calibrated)
        if table:
            write_dataset(ds, out_path)
        return ds, time.perf_counter() - start

    ds, elapsed = guarded(work, kept=out_path.with_name(out_path.name + ".parts"))
    with ds:  # a result streamed to a .nc file is read from it lazily: closed once reported
        _report_mc(ds, m, out_path, plot_path, chosen_years, elapsed)


def _report_mc(ds: xr.Dataset, m: Model, out_path: Path, plot_path: Path | None,
               chosen_years: list[float] | None, elapsed: float) -> None:
    outputs = output_variables(ds)
    in_range = [y for y in (chosen_years or []) if ds.time.min() <= y <= ds.time.max()]
    table = ds.sd.summary(outputs=outputs, years=in_range or None)
    ref = ds.attrs["reference_scenario"]
    console.print(
        f"{m.path.name}: Monte Carlo, {ds.attrs['n_samples']} samples "
        f"({ds.attrs['sampler']}, seed {ds.attrs['seed']}); P(better) = share of samples in "
        f"which the scenario beats {ref}"
    )
    for (name, units), part in table.groupby(["output", "units"], sort=False):
        shown = part.drop(columns=["output", "units"]).rename(
            columns={"p5": "5%", "p25": "25%", "p50": "median", "p75": "75%", "p95": "95%",
                     "p_better": "P(better)"}
        )
        shown["P(better)"] = ["-" if math.isnan(p) else f"{100 * p:.0f}%" for p in shown["P(better)"]]
        dimensionless = str(units).lower() in ("", "dmnl", "1")
        title = str(name) if dimensionless else f"{name} ({units})"
        if shown.year.nunique() == 1:
            title += f" in {shown.year.iloc[0]:g}"
            shown = shown.drop(columns="year")
        else:
            shown["year"] = [f"{y:g}" for y in shown.year]
        _print_frame(shown, title=title, text_columns=("scenario", "year"))
    console.print(
        f"{ds.attrs['n_samples']} samples x {ds.sizes['scenario']} scenario(s) with the "
        f"{ds.attrs['engine']} engine in {elapsed:.2f} s; results written to {out_path}"
    )
    if plot_path is not None:
        for o, path in _figure_paths(plot_path, outputs).items():
            save_figure(ds.sd.fan(o), path)
            console.print(f"fan chart written to {path}")


# ---------------------------------------------------------------------------- sobol / morris
def _report_sensitivity(ds: xr.Dataset, m: Model, out_path: Path, plot_path: Path | None,
                        year: float | None, elapsed: float, index: str) -> None:

    outputs = [str(o) for o in ds["output"].values]
    for o in outputs:
        frame = ranking(ds, o, year=year, index=index)
        name = str(ds["output_name"].sel(output=o).values)
        _print_frame(frame, title=f"{name} in {frame.attrs['year']:g}: parameters ranked by {index}",
                     text_columns=("parameter",))
        if "S2" in ds:
            _print_frame(_top_pairs(ds, o, frame.attrs["year"]),
                         title=f"{name} in {frame.attrs['year']:g}: strongest interactions (S2)",
                         text_columns=("parameters",))
    console.print(
        f"{ds.attrs['n_runs']} runs with the {ds.attrs['engine']} engine and analysis of "
        f"{len(outputs)} output(s) x {ds.sizes['time']} time(s) in {elapsed:.2f} s; "
        f"results written to {out_path}"
    )
    if plot_path is None:
        return
    for o, path in _figure_paths(plot_path, outputs).items():
        save_figure(ranked_bar(ds, o, year=year, index=index), path)
        areas = path.with_name(f"{path.stem}_over_time{path.suffix}")
        save_figure(stacked_areas(ds, o, index="S1" if "S1" in ds else "mu_star"), areas)
        console.print(f"figures written to {path} and {areas}")


def _top_pairs(ds: xr.Dataset, output: str, year: float, top: int = 5) -> pd.DataFrame:
    """The parameter pairs with the largest second-order indices at one year."""
    at = ds.sel(output=output).sel(time=year, method="nearest")
    frame = at[["S2", "S2_conf"]].to_dataframe()[["S2", "S2_conf"]].dropna()
    frame = frame.sort_values("S2", ascending=False).head(top).reset_index()
    names = dict(zip(ds["parameter"].values.tolist(), ds["parameter_name"].values.tolist(),
                     strict=True))
    pairs = [f"{names[a]} x {names[b]}" for a, b in zip(frame["parameter"],
                                                          frame["parameter_2"], strict=True)]
    return pd.DataFrame({"parameters": pairs, "S2": frame["S2"], "S2_conf": frame["S2_conf"]})


def _sensitivity_command(
    kind: str,
    index: str,
    analyse: Callable[[Model, UncertaintySpec, list[float] | None], xr.Dataset],
    *,
    model: Path | None,
    uncertainty: Path | None,
    out: Path | None,
    plot: Path | None,
    no_plot: bool,
    years: str | None,
    year: str | None,
    engine: str,
) -> None:
    """What ``sobol`` and ``morris`` share: check the options, run ``analyse`` on the model and
    its uncertainty file, write the indices, then print the ranking by ``index`` and draw."""
    _check_engine(engine)
    m = load(model)
    chosen_years, at_year = parse_years(years), _year(year)
    _check_horizon(m, chosen_years, "--years")
    _check_horizon(m, None if at_year is None else [at_year], "--year")

    def work() -> tuple[xr.Dataset, Path, Path | None, float]:
        out_path, plot_path = output_paths(m, out, plot, no_plot, kind)
        spec = load_spec(m, uncertainty)
        start = time.perf_counter()
        ds = analyse(m, spec, chosen_years)
        elapsed = time.perf_counter() - start
        write_dataset(ds, out_path)
        return ds, out_path, plot_path, elapsed

    ds, out_path, plot_path, elapsed = guarded(work)
    _report_sensitivity(ds, m, out_path, plot_path, at_year, elapsed, index)


def _year(text: str | None) -> float | None:
    years = parse_years(text)
    if years is not None and len(years) != 1:
        fail(f"--year takes one year, got {text!r}")
    return years[0] if years else None


YearsOpt = Annotated[
    str | None,
    typer.Option(help="Analyse only these years (comma-separated). Default: every saved year."),
]
YearOpt = Annotated[
    str | None, typer.Option(help="Year of the ranking table and bar chart. Default: the last.")
]
ScenarioOpt = Annotated[
    str | None, typer.Option("--scenario", "-s", help="Scenario the runs start from.")
]
IgnoreCorrOpt = Annotated[
    bool, typer.Option("--ignore-correlations",
                       help="Treat correlated parameters as independent.")
]


@app.command()
def sobol(
    model: ModelArg = None,
    uncertainty: UncertaintyOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Base sample size, a power of 2; runs = "
                                   "n (d + 2), or n (2d + 2) with --second-order.")] = 1024,
    output: OutputOpt = None,
    years: YearsOpt = None,
    year: YearOpt = None,
    second_order: Annotated[
        bool, typer.Option("--second-order", help="Also estimate second-order indices S2.")
    ] = False,
    seed: SeedOpt = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the intervals.")] = 100,
    scenario: ScenarioOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Results file (.nc, .zarr; or .xlsx, .csv, .parquet "
                                  "tables). "
                                  "Default: results/MODEL_NAME_sobol.nc")
    ] = None,
    engine: EngineOpt = DEFAULT_ENGINE,
    ignore_correlations: IgnoreCorrOpt = False,
    plot: PlotOpt = None,
    no_plot: NoPlotOpt = False,
    scheduler: SchedulerOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Sobol sensitivity indices (S1, ST, optionally S2) of outputs at every saved year.

    Saltelli's design on a scrambled Sobol sequence (SALib), mapped through the distributions
    of the uncertainty file, runs on the compiled engine; indices and bootstrap confidence
    intervals are computed for every output at every saved year and written as a Dataset with
    dims output, parameter, time. Prints the ranking at one year and draws a ranked bar chart and
    stacked areas over time.

    Examples:

        sdmodels sobol --n 1024 --seed 0 --output "Productivity Index"

        sdmodels sobol models/tests/ishigami.mdl -u models/uncertainty/ishigami.toml -o Y
    """
    def analyse(m: Model, spec: UncertaintySpec, chosen_years: list[float] | None) -> xr.Dataset:
        return run_sobol(m, spec, n=n, outputs=output, years=chosen_years,
                         second_order=second_order, seed=seed, num_resamples=resamples,
                         scenario=with_profile(m, scenario, profile),
                         engine=engine,  # type: ignore[arg-type]
                         ignore_correlations=ignore_correlations, progress=True,
                         scheduler=scheduler)

    _sensitivity_command("sobol", "ST", analyse, model=model, uncertainty=uncertainty, out=out,
                         plot=plot, no_plot=no_plot, years=years, year=year, engine=engine)


@app.command()
def morris(
    model: ModelArg = None,
    uncertainty: UncertaintyOpt = None,
    trajectories: Annotated[
        int, typer.Option("--trajectories", "-r", help="Trajectories; runs = r (d + 1).")
    ] = 32,
    levels: Annotated[int, typer.Option(help="Grid levels (even).")] = 4,
    output: OutputOpt = None,
    years: YearsOpt = None,
    year: YearOpt = None,
    seed: SeedOpt = None,
    scenario: ScenarioOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Results file (.nc, .zarr; or .xlsx, .csv, .parquet "
                                  "tables). "
                                  "Default: results/MODEL_NAME_morris.nc")
    ] = None,
    engine: EngineOpt = DEFAULT_ENGINE,
    ignore_correlations: IgnoreCorrOpt = False,
    plot: PlotOpt = None,
    no_plot: NoPlotOpt = False,
    scheduler: SchedulerOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Morris elementary-effects screening of outputs at every saved year.

    A cheap first pass over many parameters: mu_star ranks how much each parameter moves an
    output (per step in its quantile), sigma shows non-linearity and interactions.

    Examples:

        sdmodels morris --trajectories 20 --seed 0
    """
    def analyse(m: Model, spec: UncertaintySpec, chosen_years: list[float] | None) -> xr.Dataset:
        return run_morris(m, spec, trajectories=trajectories, levels=levels, outputs=output,
                          years=chosen_years, seed=seed,
                          scenario=with_profile(m, scenario, profile),
                          engine=engine,  # type: ignore[arg-type]
                          ignore_correlations=ignore_correlations, progress=True,
                          scheduler=scheduler)

    _sensitivity_command("morris", "mu_star", analyse, model=model, uncertainty=uncertainty,
                         out=out, plot=plot, no_plot=no_plot, years=years, year=year,
                         engine=engine)
