"""dask stays optional: without a scheduler nothing of dask.distributed is needed or imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


_HIDE_DASK = """
import sys


class _Hidden:
    # wraps an import finder: dask and distributed look as if they were not installed
    def __init__(self, inner):
        self.inner = inner

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            return None
        return self.inner.find_spec(name, path, target)

    def __getattr__(self, attr):
        return getattr(self.inner, attr)


sys.meta_path[:] = [_Hidden(f) for f in sys.meta_path]
"""


def _run(code: str, *, hide_dask: bool) -> subprocess.CompletedProcess[str]:
    prelude = _HIDE_DASK if hide_dask else ""
    return subprocess.run(
        [sys.executable, "-W", "error", "-W", "ignore::DeprecationWarning", "-c",
         prelude + textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )


def test_local_batch_does_not_import_dask_distributed() -> None:
    code = """
        import sys
        import numpy as np
        import sdmodels
        import sdmodels.batch
        m = sdmodels.load_model("models/tests/ishigami.mdl")
        m.run_batch({"x1": np.linspace(-3, 3, 10)})
        sdmodels.batch.run_batch(m, {"x1": np.linspace(-3, 3, 10)}, chunk_size=4)
        print(sorted(k for k in sys.modules if k.split(".")[0] == "distributed"))
    """
    done = _run(code, hide_dask=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_everything_but_scheduler_works_without_dask(tmp_path: Path) -> None:
    code = f"""
        import numpy as np
        import sdmodels
        import importlib.util
        assert importlib.util.find_spec("dask") is None  # as if not installed
        from sdmodels.batch import run_batch, store_status
        from sdmodels.distributed import SchedulerError
        m = sdmodels.load_model("models/tests/ishigami.mdl")
        x = {{"x1": np.linspace(-3, 3, 10)}}
        for out in ({str(tmp_path / "r.zarr")!r}, {str(tmp_path / "r.nc")!r}):
            ds = run_batch(m, x, chunk_size=4, out=out)
            assert store_status(out).complete
        try:
            run_batch(m, x, scheduler="local:2")
        except SchedulerError as exc:
            print(exc)
    """
    done = _run(code, hide_dask=True)
    assert done.returncode == 0, done.stderr
    assert "pip install sdmodels[distributed]" in done.stdout
