"""``sdmodels calibrate``: fit a model to history (optimisation or MCMC)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sdmodels._common import format_number
from sdmodels.calibration import (
    CalibrationWarning,
    load_calibration,
    plot_fit,
    posterior_summary,
)
from sdmodels.calibration import calibrate as run_calibration
from sdmodels.cli._app import app, console, err_console, fail, guarded
from sdmodels.errors import SDModelsError
from sdmodels.model import load_model
from sdmodels.plots import save_figure
from sdmodels.results import check_writable, write_dataset

_METHODS = ("optimize", "mcmc")


def _table(df: Any, *, title: str, index: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(index, justify="left")
    for col in df.columns:
        table.add_column(str(col), justify="right")
    for name, row in df.iterrows():
        table.add_row(str(name), *(format_number(float(v)) for v in row.to_numpy()))
    return table


def _paths(spec_path: Path, out: Path | None, plot: Path | None,
           no_plot: bool) -> tuple[Path, Path | None]:
    if out is None:
        Path("results").mkdir(exist_ok=True)
        out = Path("results") / f"{spec_path.stem}_posterior.nc"
    if out.suffix.lower() != ".nc":
        raise SDModelsError(f"--out {str(out)!r}: a calibration result is a .nc file")
    check_writable(out)
    if no_plot:
        return out, None
    plot = plot or out.with_name(f"{out.stem}.png")
    if plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise SDModelsError(f"--plot {str(plot)!r}: use a .png, .svg or .pdf file name")
    check_writable(plot.with_suffix(".nc"))
    return out, plot


@app.command()
def calibrate(
    model: Annotated[
        Path | None,
        typer.Argument(help="Model file (.mdl or .xmile). Default: the calibration file's model.",
                       show_default=False),
    ] = None,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Calibration file (.toml): data, series, priors.")
    ] = None,
    method: Annotated[str, typer.Option(help="optimize (differential evolution, then a local "
                                        "polish) or mcmc (emcee ensemble sampler).")] = "optimize",
    out: Annotated[Path | None, typer.Option(help="Result file (.nc). Default: "
                                             "results/SPEC_NAME_posterior.nc")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (0 is a seed). Default: drawn and "
                                             "recorded.")] = None,
    walkers: Annotated[int | None, typer.Option(help="MCMC walkers (even, at least twice the "
                                                "calibrated quantities).")] = None,
    steps: Annotated[int, typer.Option(help="MCMC steps per walker.")] = 2000,
    burn: Annotated[int | None, typer.Option(help="MCMC steps discarded first. Default: half.")] = None,
    thin: Annotated[int, typer.Option(help="Keep every THIN-th MCMC step.")] = 1,
    init: Annotated[str, typer.Option(help="MCMC start: optimum (a ball around the best fit) "
                                      "or prior (prior draws).")] = "optimum",
    moves: Annotated[str, typer.Option(help="MCMC moves: stretch (emcee's default) or de "
                                       "(differential evolution moves, often faster mixing in "
                                       "a dozen or more dimensions).")] = "stretch",
    maxiter: Annotated[int, typer.Option(help="Differential evolution generations at most.")] = 300,
    popsize: Annotated[int, typer.Option(help="Differential evolution population per "
                                         "calibrated quantity.")] = 15,
    plot: Annotated[Path | None, typer.Option(help="Figure of observed vs simulated with 50% "
                                              "and 90% bands (.png, .svg, .pdf). Default: "
                                              "beside --out.")] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw the figure.")] = False,
) -> None:
    """Calibrate a model against observed history.

    The calibration file names the data (CSV: a `time` column, one column per series), the
    observed series with their error models, and the parameters with priors written as in
    uncertainty files. Every population of parameter sets runs as one batch of the compiled
    kernel. Prints the posterior (or the optimum), Sterman's fit statistics per series
    (R², MAPE, Theil's U and its U^M/U^S/U^C split) and, for MCMC, the convergence
    diagnostics; writes one netCDF file (only once the fit has finished) and a figure.

    Examples:

        sdmodels calibrate --spec models/calibration/nhs_history.toml --method optimize

        sdmodels calibrate --spec cal.toml --method mcmc --walkers 64 --steps 2000 --seed 1 --out post.nc
    """
    if spec is None:
        fail("give the calibration file with --spec FILE.toml")
    if method not in _METHODS:
        fail(f"--method must be one of {', '.join(_METHODS)}, got {method!r}")
    if init not in ("optimum", "prior"):
        fail(f"--init must be optimum or prior, got {init!r}")
    if moves not in ("stretch", "de"):
        fail(f"--moves must be stretch or de, got {moves!r}")
    out_path, plot_path = guarded(lambda: _paths(spec, out, plot, no_plot))

    def work() -> tuple[Any, Any, float, list[str]]:
        m = load_model(model) if model is not None else None
        cal = load_calibration(spec, model=m)
        console.print(
            f"{cal.model.path.name}: calibrating {cal.n_model} parameter(s)"
            f"{f' and {len(cal.estimated_scales)} error scale(s)' if cal.estimated_scales else ''}"
            f" against {len(cal.series)} series ({cal.start:g}–{cal.end:g}) by {method}"
        )
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CalibrationWarning)
            ds = run_calibration(cal, method=method, seed=seed, walkers=walkers, steps=steps,
                                 burn=burn, thin=thin, init=init, moves=moves,  # type: ignore[arg-type]
                                 maxiter=maxiter,
                                 popsize=popsize, progress=True)
        notes = [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
        elapsed = time.perf_counter() - start
        write_dataset(ds, out_path)
        if plot_path is not None:
            save_figure(plot_fit(ds), plot_path)
        return ds, cal, elapsed, notes

    ds, _cal, elapsed, notes = guarded(work)
    summary = posterior_summary(ds)
    if ds.attrs["method"] == "optimize":
        summary = summary[["best"]]
    console.print(_table(summary, title="Parameters", index="parameter"))
    stats = ds["fit_statistics"].to_pandas()
    stats = stats.rename(columns={"r2": "R²", "mape": "MAPE", "theil_u": "Theil U", "um": "U^M",
                                  "us": "U^S", "uc": "U^C"})
    console.print(_table(stats, title="Fit (best draw; MAPE as a fraction; Sterman 1984)",
                         index="series"))
    runs = int(ds.attrs["model_runs"])
    console.print(f"{runs:,} model runs in {elapsed:.1f} s (seed {ds.attrs['seed']}); "
                  f"{ds.attrs['message']}")
    if ds.attrs["method"] == "mcmc":
        console.print(f"acceptance fraction {float(ds.attrs['acceptance_fraction']):.2f}; "
                      f"{ds.sizes['draw']:,} posterior draws kept")
    for note in notes:
        err_console.print(f"warning: {note}", style="yellow", highlight=False)
    console.print(f"wrote {out_path}" + (f" and {plot_path}" if plot_path else ""))
