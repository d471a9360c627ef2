"""Where sdmodels finds its bundled models and keeps its caches."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import platformdirs

__all__ = ["DEFAULT_MODEL", "MODELS_DIR", "cache_dir", "file_sha256", "sibling_temp_path"]

#: The ``models/`` folder of the source tree (the package is installed editable from it).
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
#: The bundled NHS productivity model.
DEFAULT_MODEL = MODELS_DIR / "nhs_productivity.mdl"


def cache_dir(*parts: str) -> Path:
    """Return (and create) a cache folder: ``$SDMODELS_CACHE_DIR`` or the user cache dir.

    Parameters
    ----------
    *parts
        Sub-folders below the cache root, e.g. ``cache_dir("pysd")``.
    """
    root = os.environ.get("SDMODELS_CACHE_DIR") or platformdirs.user_cache_dir("sdmodels")
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sibling_temp_path(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh hidden name beside ``path``, for a file written in full and then renamed onto it.

    Nothing is created (unlike :func:`tempfile.mkstemp`, whose files are private to their owner):
    the writer creates it, so the result gets the permissions of any file the user creates.
    """
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}{suffix}")
