"""The ``sdmodels`` command-line application object and shared option helpers."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from sdmodels._common import raise_if_interrupted, record_interrupt, was_interrupted
from sdmodels._lock import release_all
from sdmodels.errors import SDModelsError
from sdmodels.model import load_model

__all__ = [
    "MODEL_ARG_HELP",
    "Terminated",
    "app",
    "console",
    "err_console",
    "fail",
    "guarded",
    "interrupted",
    "io_failed",
    "load",
    "main",
    "parse_years",
]

T = TypeVar("T")

app = typer.Typer(
    name="sdmodels",
    help=(
        "System dynamics policy models of NHS productivity.\n\n"
        "Start with `sdmodels run` (all shipped scenarios of the bundled NHS model), "
        "`sdmodels scenarios` and `sdmodels params`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

# markup off: user text (file names, model names, -o values, messages quoting TOML tables
# such as [parameters."X"] or [[correlations]]) is printed as it is, never as Rich markup
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

#: ``--debug``: let unexpected errors show their traceback.
DEBUG_ENV = "SDMODELS_DEBUG"


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch job's time limit, ``kill``): stops like Ctrl-C, exits with 143."""


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of an unexpected error (for a bug report)."
    ),
) -> None:
    if debug:
        os.environ[DEBUG_ENV] = "1"

MODEL_ARG_HELP = (
    "Model file (.mdl or .xmile). Defaults to the bundled NHS productivity model."
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error in red on stderr and exit with ``code``."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", str(message)), highlight=False)
    raise typer.Exit(code)


DATA_OPT_HELP = (
    "File of the model's data variables without an equation (.tab, .csv or .nc, relative to the "
    "model file's folder); repeat for several (PySD's data_files)."
)


def load(model: Path | None, data_files: list[Path] | None = None):
    """Load a model, turning load errors into a clean CLI error."""
    try:
        return load_model(model, data_files=data_files or None)
    except SDModelsError as exc:
        fail(str(exc))


def parse_years(text: str | None) -> list[float] | None:
    """``"2030,2035,2040"`` -> ``[2030.0, 2035.0, 2040.0]``."""
    if text is None:
        return None
    try:
        return [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        fail(f"--years must be a comma-separated list of years, got {text!r}")


def io_failed(exc: OSError, kept: str | None = None) -> NoReturn:
    """Report a failed read or write (a full disk, a lost network drive) and exit with 2.

    ``kept`` names what a streamed run left to resume from, if anything.
    """
    where = f" ({exc.filename})" if exc.filename else ""
    hint = (f"; the finished runs are kept in {kept}: make room and run the same command with "
            "--resume") if kept else ""
    fail(f"{exc.strerror or exc}{where}; no result file was written{hint}")


def interrupted(kept: str | None = None, *, terminated: bool = False) -> NoReturn:
    """Report Ctrl-C (exit 130) or SIGTERM (exit 143), with how to resume if anything is kept.

    ``kept`` names what an interrupted streamed run left to resume from, if anything.
    """
    terminated = terminated or _STATE["terminated"]
    _STATE["reported"] = True
    what = "terminated (SIGTERM)" if terminated else "interrupted"
    err_console.print(Text(f"{what}: no result file was written", style="yellow"))
    if kept:
        err_console.print(Text(f"the finished runs are kept in {kept}; run the same command "
                               "with --resume to continue", style="yellow"))
    if os.environ.get(DEBUG_ENV) != "1":
        # a write the interrupt abandoned in a storage library's event loop (zarr's) fails as
        # the interpreter shuts down, and asyncio would print its traceback after the message;
        # the run resumes from its finished chunks, so that failure is not news
        logging.getLogger("asyncio").disabled = True
    sys.exit(143 if terminated else 130)


def guarded(work: Callable[[], T], kept: Path | None = None) -> T:
    """Run ``work``, turning the ways a command can stop into clean exits.

    Ctrl-C exits with 130, SIGTERM with 143, and no result file; sdmodels errors and failed
    reads or writes (a full disk) exit with 2. A streamed run's finished work stays in ``kept``
    (if that exists) and the message says how to resume it.
    """

    def kept_now() -> str | None:
        return str(kept) if kept is not None and kept.exists() else None

    try:
        result = work()
        raise_if_interrupted()  # an interrupt a library swallowed: the command did not finish
        return result
    except KeyboardInterrupt as exc:
        release_all()
        interrupted(kept_now(), terminated=isinstance(exc, Terminated))
    except SDModelsError as exc:
        release_all()
        fail(str(exc))
    except OSError as exc:
        release_all()
        io_failed(exc, kept_now())


_STATE = {"terminated": False, "reported": False}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings on the command line: one line, 'warning:' and the message (no source path)."""
    err_console.print(Text.assemble(("warning:", "bold yellow"), f" {message}"), highlight=False)


def _on_sigint(signum: int, frame: object) -> None:
    # Python's own handler, and a record of the interrupt in case a library swallows it
    record_interrupt()
    raise KeyboardInterrupt


def _on_sigterm(signum: int, frame: object) -> None:
    _STATE["terminated"] = True
    record_interrupt()
    raise Terminated()


def skip_final_collection() -> None:
    """Leave the objects of a finished command to the end of the process, uncollected.

    The interpreter's shutdown runs the cyclic collector over everything a command built (the
    parsed model, its kernel, the results: some 260,000 objects after ``sdmodels run``), which
    took 0.45 of the 0.57 s between the command's end and the end of the process (4 December
    2026). Frozen objects are skipped by those passes; their memory goes back to the system with
    the process. Everything a command writes is closed before it returns, and files that are
    still open are closed by their libraries' exit handlers, so nothing is lost.
    """
    gc.freeze()


def main() -> None:
    """Run the command line: every way it can stop ends in a message and an exit code.

    0 success; 1 a failed comparison (``sdmodels compare``) or an internal error; 2 a
    mistake in the input (the message says what, where and how to fix it); 130 Ctrl-C;
    143 SIGTERM. A traceback is shown only with ``--debug``.
    """
    signal.signal(signal.SIGINT, _on_sigint)
    warnings.showwarning = _show_warning
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    # --debug is accepted anywhere on the line (sdmodels --debug run, sdmodels run --debug)
    args = [a for a in sys.argv[1:] if a != "--debug"]
    debug = len(args) < len(sys.argv) - 1 or os.environ.get(DEBUG_ENV) == "1"
    if debug:
        os.environ[DEBUG_ENV] = "1"
    try:
        app(args=args, standalone_mode=True)
    except SystemExit as done:
        # typer turns an interrupt outside guarded() into a silent exit 130
        if done.code == 130 and not _STATE["reported"]:
            interrupted()
        raise
    except KeyboardInterrupt as exc:
        interrupted(terminated=isinstance(exc, Terminated))
    except SDModelsError as exc:
        if debug:
            raise
        try:
            fail(str(exc))
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except OSError as exc:
        if debug:
            raise
        try:
            io_failed(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except Exception as exc:  # the last line of defence: no traceback unless --debug
        if debug and not was_interrupted():
            raise
        _internal_error(exc)
    finally:
        skip_final_collection()


def _internal_error(exc: Exception) -> NoReturn:
    """Exit 1 with a one-line report of an unexpected error, or 130 if it came of a Ctrl-C."""
    if was_interrupted():
        # an interrupt that a library turned into another error (an extension module's
        # initialisation reports a swallowed KeyboardInterrupt as a SystemError)
        interrupted()
    err_console.print(Text.assemble(
        ("internal error:", "bold red"),
        f" {type(exc).__name__}: {exc}. This is a bug in sdmodels, not in your input; "
        "run the same command with --debug and report the traceback.",
    ), highlight=False)
    sys.exit(1)
