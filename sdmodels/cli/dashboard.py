"""``sdmodels dashboard``: serve the interactive dashboard on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sdmodels.cli._app import MODEL_ARG_HELP, app, console, fail, load


@app.command()
def dashboard(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
    port: Annotated[int, typer.Option(help="Port to serve on (localhost).")] = 5006,
    show: Annotated[bool, typer.Option("--show/--no-show",
                                       help="Open the dashboard in a browser tab.")] = True,
    engine: Annotated[
        str, typer.Option(help="auto (compiled where supported, else PySD), compiled or pysd.")
    ] = "auto",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples on the Uncertainty page.")
                       ] = 500,
    sobol_samples: Annotated[int, typer.Option(
        help="Base sample size of the Sobol analysis (runs: N x (inputs + 2)).")] = 256,
) -> None:
    """Serve the dashboard: move policy levers, see productivity, workforce, waiting lists and
    funding, how certain they are and what drives them.

    Each browser tab gets its own settings. Stop the server with Ctrl-C.

    Examples:

        sdmodels dashboard

        sdmodels dashboard --port 8080 --no-show
    """
    if engine not in ("auto", "compiled", "pysd"):
        fail(f"--engine must be auto, compiled or pysd, got {engine!r}")
    if samples < 2:
        fail(f"--samples must be at least 2, got {samples}")
    if sobol_samples < 8:
        fail(f"--sobol-samples must be at least 8, got {sobol_samples}")
    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535, got {port}")
    m = load(model)
    from sdmodels.dashboard import serve  # noqa: PLC0415 - needs panel, an optional dependency

    console.print(f"serving the dashboard of {m.path.name} at "
                  f"http://localhost:{port}/ (Ctrl-C to stop)")
    try:
        serve(m.path, port=port, show=show, engine=engine, mc_samples=samples,
              sobol_samples=sobol_samples)
    except OSError as exc:
        fail(f"cannot serve on port {port}: {exc.strerror or exc}; choose another with --port")
    except KeyboardInterrupt:
        console.print("dashboard stopped")
