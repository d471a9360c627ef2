"""``sdmodels compile``: compile a model to its batch kernel and show the generated source."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from sdmodels._diagnose import algebraic_loop_error
from sdmodels._paths import DEFAULT_MODEL
from sdmodels.cli._app import DATA_OPT_HELP, MODEL_ARG_HELP, app, console, fail
from sdmodels.compiler import UnsupportedFeature, compile_model
from sdmodels.errors import SDModelsError
from sdmodels.model import load_model


@app.command("compile")
def compile_command(
    model: Annotated[Path | None, typer.Argument(help=MODEL_ARG_HELP, show_default=False)] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the generated numba source.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore the kernel cache and compile afresh.")
    ] = False,
    serial: Annotated[
        bool, typer.Option("--serial", help="Compile only the serial kernel (what single runs "
                           "and small batches use), not the parallel one (batches of 64 or more).")
    ] = False,
    data: Annotated[list[Path] | None, typer.Option("--data", help=DATA_OPT_HELP)] = None,
) -> None:
    """Compile a model into a numba batch kernel (cached on disk) and report the timings.

    Exits with 3 when the compiled engine does not support the model (it still runs with PySD:
    engine "auto" does so), and with 2 for a model neither engine can run (an algebraic loop).

    Examples:

        sdmodels compile

        sdmodels compile models/nhs_productivity.mdl --show
    """
    path = Path(model) if model is not None else DEFAULT_MODEL
    if not path.is_file():
        fail(f"model file {str(path)!r} does not exist; check the path")
    t0 = time.perf_counter()
    try:
        # with the cache, through the model: its parse (on disk after any earlier load, as
        # after the `sdmodels run` that starts a background compile) is not made again
        cm = (compile_model(path, cache=False, data_files=data or None) if no_cache
              else load_model(path, data_files=data or None).compiled())
    except UnsupportedFeature as exc:
        loop = algebraic_loop_error(exc, path)
        if loop is not None:  # PySD cannot run it either: a mistake in the model (exit 2)
            fail(str(loop))
        # the model still runs with PySD: exit 3 tells scripts "not compilable" apart
        fail(f"{exc}", code=3)
    except SDModelsError as exc:
        fail(str(exc))
    generated = time.perf_counter() - t0
    # the serial kernel (what single runs call) first, then the parallel one (batches)
    jit = cm.warm_up(parallel=False) + (0.0 if serial else cm.warm_up(parallel=True))
    if show:
        # plain print: the source must be copyable as is
        typer.echo(cm.source)
    state = "cache hit" if cm.cache_hit else "generated"
    console.print(
        f"{path.name}: {len(cm.outputs)} outputs, {len(cm.defaults)} parameters, "
        f"{len(cm.statefuls)} stateful cells; {state} in {generated:.2f} s, "
        f"kernel ready in {jit:.2f} s",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"kernel module: {cm.module_path}", highlight=False, soft_wrap=True)
