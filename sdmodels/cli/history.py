"""``sdmodels history`` (and ``sdmodels run --history``): a model over the past, against the data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sdmodels._common import format_number
from sdmodels._paths import MODELS_DIR
from sdmodels.calibration import (
    CalibrationError,
    default_posterior,
    load_calibration,
    plot_fit,
    run_history,
)
from sdmodels.cli._app import app, console, err_console, fail, guarded
from sdmodels.errors import SDModelsError
from sdmodels.metadata import read_metadata
from sdmodels.plots import save_figure
from sdmodels.results import check_writable, write_dataset

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

#: The calibration file used when neither a model with one nor --spec is given.
DEFAULT_SPEC = MODELS_DIR / "calibration" / "nhs_history.toml"
_COLUMNS = {"n": "n", "r2": "R²", "mape": "MAPE", "theil_u": "Theil U", "um": "U^M",
            "us": "U^S", "uc": "U^C"}


def _slug(label: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in label.lower()).split())


def _out_path(out: Path | None, spec_path: Path) -> Path:
    target = out
    if target is None:
        Path("results").mkdir(exist_ok=True)
        target = Path("results") / f"{spec_path.stem}_history.nc"
    if target.suffix.lower() != ".nc":
        raise SDModelsError(f"--out {str(target)!r}: a history result is a .nc file")
    return check_writable(target)


def usable_posterior(model: Any) -> Path | None:
    """The model's default posterior if it can be used; otherwise ``None``, saying why (a stale
    posterior is a note, not an error: the run goes on with the model file's own values)."""
    try:
        return default_posterior(model, missing="raise")
    except CalibrationError as exc:
        err_console.print(f"note: {exc}. Running with the model file's own parameter values.",
                          style="yellow", highlight=False)
        return None


def history_spec(model_file: Path | None, spec: Path | None) -> Path:
    """The calibration file of a history run: ``spec``, else the model's (its metadata's
    ``calibration``), else the NHS model's."""
    if spec is not None:
        return spec
    if model_file is None:
        return DEFAULT_SPEC
    declared = read_metadata(model_file).calibration
    if declared is None:
        raise SDModelsError(
            f"{model_file.name} declares no calibration file (key `calibration` in "
            f"{model_file.stem}.sdmodels.toml); give one with --spec FILE.toml"
        )
    return declared


def _fit_table(ds: xr.Dataset) -> Table:
    stats = ds["fit_statistics"].to_pandas()
    table = Table(title="Fit (Sterman 1984; MAPE as a fraction)", title_justify="left",
                  header_style="bold")
    table.add_column("series", justify="left", no_wrap=True)
    shown = [c for c in _COLUMNS if c in stats.columns]
    for col in shown:
        table.add_column(_COLUMNS[col], justify="right", no_wrap=True)
    for name, row in stats.iterrows():
        table.add_row(str(name), *(format_number(float(row[c])) for c in shown))
    return table


def write_history(spec_path: Path, *, posterior: Path | None, prior: bool, out: Path | None,
                  no_plot: bool) -> None:
    """Run the history of ``spec_path``, write the result and the charts, print the fit table.

    The one implementation behind ``sdmodels history`` and ``sdmodels run --history``.
    """
    out_path = guarded(lambda: _out_path(out, spec_path))

    def work() -> tuple[Any, list[Path]]:
        spec = load_calibration(spec_path)
        chosen: Any = posterior
        if chosen is None and not prior:
            chosen = usable_posterior(spec.model)
        ds = run_history(spec, posterior=chosen)
        write_dataset(ds, out_path)
        charts: list[Path] = []
        if not no_plot:
            charts.append(save_figure(plot_fit(ds), out_path.with_suffix(".png")))
            for label in ds["series"].values.astype(str):
                target = out_path.with_name(f"{out_path.stem}_{_slug(label)}.png")
                charts.append(save_figure(plot_fit(ds, series=[label], ncols=1), target))
        return ds, charts

    ds, charts = guarded(work)
    console.print(f"{ds.attrs['model_file']}: history {ds.attrs['fit_window']} with "
                  f"{ds.attrs['parameters_from']}")
    console.print(_fit_table(ds))
    console.print(f"wrote {out_path}" + (f" and {len(charts)} charts beside it" if charts else ""))


@app.command()
def history(
    model: Annotated[
        Path | None,
        typer.Argument(help="Model file whose metadata names its calibration file. Default: "
                       "the NHS model.", show_default=False),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="Calibration file whose scenario, inputs and data define the "
                     "history. Default: the model's (models/calibration/nhs_history.toml)."),
    ] = None,
    posterior: Annotated[
        Path | None,
        typer.Option(help="Calibration result (.nc): run its best draw, with bands over its "
                     "draws. Default: the model's posterior, if it declares one."),
    ] = None,
    prior: Annotated[bool, typer.Option("--prior", help="Use the model's own parameter values, "
                                        "not its posterior.")] = False,
    out: Annotated[Path | None, typer.Option(help="Result file (.nc). Default: "
                                             "results/SPEC_NAME_history.nc")] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw the charts.")] = False,
) -> None:
    """Run a model over history with its historic inputs and compare it with the data.

    Writes the simulated and observed series and Sterman's fit statistics to one netCDF
    file, one chart per series and one chart of all series beside it, and prints the fit
    table. `sdmodels run --history` does the same.

    Examples:

        sdmodels history

        sdmodels history --prior

        sdmodels history --posterior models/calibration/nhs_history_posterior.nc
    """
    if posterior is not None and prior:
        fail("give --posterior or --prior, not both")
    spec_path = guarded(lambda: history_spec(model, spec))
    write_history(spec_path, posterior=posterior, prior=prior, out=out, no_plot=no_plot)
