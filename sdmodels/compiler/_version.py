"""Version of the installed sdmodels package, without importing the package."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


@lru_cache(maxsize=1)
def package_version() -> str:
    try:
        return version("sdmodels")
    except PackageNotFoundError:  # pragma: no cover - source tree without install
        return "0+unknown"
