"""The ``sdmodels`` command-line application object and shared option helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from sdmodels.errors import SDModelsError

__all__ = [
    "MODEL_ARG_HELP",
    "app",
    "console",
    "err_console",
    "fail",
    "guarded",
    "interrupted",
    "io_failed",
    "load",
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

console = Console()
err_console = Console(stderr=True)

MODEL_ARG_HELP = (
    "Model file (.mdl or .xmile). Defaults to the bundled NHS productivity model."
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error in red on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load(model: Path | None):
    """Load a model, turning load errors into a clean CLI error."""
    from sdmodels.model import load_model

    try:
        return load_model(model)
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


def interrupted(kept: str | None = None) -> NoReturn:
    """Report Ctrl-C and exit with the conventional code 130.

    ``kept`` names what an interrupted streamed run left to resume from, if anything.
    """
    err_console.print("[yellow]interrupted: no result file was written[/]")
    if kept:
        err_console.print(f"[yellow]the finished runs are kept in {kept}; run the same command "
                          "with --resume to continue[/]")
    sys.exit(130)


def guarded(work: Callable[[], T], kept: Path | None = None) -> T:
    """Run ``work``, turning the ways a command can stop into clean exits.

    Ctrl-C exits with 130 and no result file; sdmodels errors and failed reads or writes (a full
    disk) exit with 2. A streamed run's finished work stays in ``kept`` (if that exists) and
    the message says how to resume it.
    """

    def kept_now() -> str | None:
        return str(kept) if kept is not None and kept.exists() else None

    try:
        return work()
    except KeyboardInterrupt:
        interrupted(kept_now())
    except SDModelsError as exc:
        fail(str(exc))
    except OSError as exc:
        io_failed(exc, kept_now())
