"""On-disk cache of generated kernel modules.

A generated module is written to ``<cache dir>/<key>.py`` and imported from
there, so numba's own ``cache=True`` stores the machine code next to it (in
``__pycache__``). The key hashes the model content, the sdmodels and numba
versions, the compiler's own source and the variant (time-series
parameters), so a change to any of them compiles afresh.

The cache directory is ``$SDMODELS_CACHE_DIR`` if set, else the user cache
directory given by :mod:`platformdirs`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import pickletools
import sys
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from sdmodels import _paths
from sdmodels._cachefile import seal
from sdmodels._common import dependency_version
from sdmodels.compiler._version import package_version
from sdmodels.errors import CacheRepairWarning

__all__ = [
    "ENV_VAR",
    "cache_dir",
    "cache_key",
    "check_numba_cache",
    "import_module",
    "module_path",
    "write_module",
]

ENV_VAR = "SDMODELS_CACHE_DIR"


def cache_dir() -> Path:
    """Directory holding cached kernels (created on demand)."""
    return _paths.cache_dir("kernels")


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Hash of the compiler's source files: a new generator means new kernels."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for file in sorted(here.glob("*.py")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def cache_key(content_hash: str, variant: str = "") -> str:
    """Cache key of a model's kernel.

    Examples
    --------
    >>> len(cache_key("0" * 64))
    64
    >>> cache_key("a") != cache_key("a", variant="x")
    True
    """
    numba_version = dependency_version("numba")  # from its metadata: making a key loads no numba
    text = f"{content_hash}|{package_version()}|{numba_version}|{generator_fingerprint()}|{variant}"
    return hashlib.sha256(text.encode()).hexdigest()


def module_path(key: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"kernel_{key[:40]}.py"


def write_module(path: Path, source: str) -> None:
    """Write ``source`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(source)
        os.replace(tmp, path)
        seal(path)  # checked on every cached load
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def import_module(path: Path) -> ModuleType:
    """Import a generated module from its file."""
    name = "sdmodels_kernels." + path.stem
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    # numba formats a message for every typing template it tries and rejects, through colorama
    # when it is installed: about 7% of the NHS kernel's compile (0.7 of 10.4 s, 3 December
    # 2026). Without highlighting the messages are the same text. Only read when numba is first
    # imported, which for sdmodels is here; a value the user set is kept.
    os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ImportError(f"cannot import generated kernel {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _readable_pickle(path: Path | bytes) -> bool:
    """Whether ``path`` (or these bytes) holds one whole pickle stream (its opcodes walked,
    nothing built: no class it names is imported)."""
    try:
        for _ in pickletools.genops(path if isinstance(path, bytes) else path.read_bytes()):
            pass
    except Exception:  # noqa: BLE001 - truncated, garbled or unreadable: numba would fail too
        return False
    return True


def check_numba_cache(path: Path, *, what: str) -> None:
    """Delete numba's cached machine code of the kernel at ``path`` if it is damaged.

    numba reads ``__pycache__/<kernel>.*.nbi`` (two pickles: a version stamp, then the
    index) and the ``.nbc`` data files it lists (one pickle each) at the first call; a
    truncated file would raise ``UnpicklingError`` there and on every later run. An entry
    whose index or data is damaged is removed (numba compiles again) and reported in one line.
    The index and data are checked by walking their pickle opcodes (about a millisecond a
    megabyte), so nothing is unpickled twice and numba is not imported.
    """
    folder = path.parent / "__pycache__"
    damaged: dict[Path, str] = {}
    for index in folder.glob(f"{path.stem}.*.nbi"):
        try:
            with index.open("rb") as fh:
                pickle.load(fh)  # the version stamp: a string
                entries = fh.read()
        except Exception:  # noqa: BLE001 - any failure to read it means numba would fail too
            entries = b""
        # the index names numba's types: walked, not loaded, so that checking imports no numba
        if not _readable_pickle(entries):
            damaged[index] = f"numba index {index.name}"
    for data in folder.glob(f"{path.stem}.*.nbc"):
        # <kernel>.<function>-<line>.py311.<k>.nbc is listed by <kernel>.<function>-<line>.py311.nbi
        index = folder / (data.name.rsplit(".", 2)[0] + ".nbi")
        if index not in damaged and not _readable_pickle(data):
            damaged[index] = f"numba data {data.name}"
    for index in damaged:
        stem = index.name[: -len(".nbi")]
        for f in [index, *folder.glob(f"{stem}.*.nbc")]:
            f.unlink(missing_ok=True)
    if damaged:
        warnings.warn(
            f"damaged cache entry ({what}: {next(iter(damaged.values()))}): removed; numba "
            "compiles the kernel again",
            CacheRepairWarning, stacklevel=3,
        )
