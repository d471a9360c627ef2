"""The chart of ``sdmodels run``, redrawn only when what it shows has changed.

Drawing and saving the nine-panel chart of the NHS model took about 1 CPU-s of a 5 s warm run
(importing Matplotlib included), for the same picture as the run before whenever the model, the
scenarios and the parameters are the same. A PNG chart records, in a text chunk, a key of what it
shows: the plotted values to six significant figures (finer than a chart can show, and coarser
than the difference between the two engines), the names, units and labels, the versions of
sdmodels and Matplotlib and the drawing code itself. A later run whose key is the same keeps the file; anything else (another
result, a missing, edited or foreign file, an SVG or PDF) draws it again.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sdmodels import plots
from sdmodels._common import dependency_version, package_version
from sdmodels.plots import save_figure, scenario_lines

__all__ = ["CHART_KEY", "chart_key", "draw_chart", "recorded_key"]

#: The PNG text chunk holding the key.
CHART_KEY = "sdmodels-chart"
_PNG = b"\x89PNG\r\n\x1a\n"


def chart_key(ds: Any, variables: Sequence[str]) -> str:
    """SHA-256 of what :func:`sdmodels.plots.scenario_lines` draws from ``ds``."""
    h = hashlib.sha256()
    h.update(f"{package_version()}|{dependency_version('matplotlib')}|".encode())
    h.update(Path(plots.__file__).read_bytes())  # how it is drawn, also between releases
    for name in ("time", "scenario", *variables):
        if name not in ds.variables:
            h.update(f"{name}:absent|".encode())
            continue
        var = ds.variables[name]
        h.update(f"{name}|{var.dims}|{sorted((str(k), str(v)) for k, v in var.attrs.items())}|"
                 .encode())
        values = np.asarray(var.values)
        text = (np.char.mod("%.6g", values.astype(float)) if values.dtype.kind in "fiub"
                else values.astype(str))
        h.update("\x1f".join(text.ravel().tolist()).encode())
    return h.hexdigest()


def recorded_key(path: Path) -> str | None:
    """The key a PNG chart records, or ``None`` (no file, not a PNG, no key)."""
    try:
        with path.open("rb") as fh:
            if fh.read(8) != _PNG:
                return None
            while True:
                head = fh.read(8)
                if len(head) < 8:
                    return None
                size, kind = struct.unpack(">I4s", head)
                if kind == b"IDAT":  # text chunks of interest come before the image data
                    return None
                body = fh.read(size)
                fh.seek(4, 1)  # CRC
                if kind == b"tEXt" and body.startswith(CHART_KEY.encode() + b"\x00"):
                    return body.split(b"\x00", 1)[1].decode("latin-1")
    except (OSError, struct.error):
        return None


def draw_chart(ds: Any, variables: Sequence[str], path: Path) -> bool:
    """Write the chart of ``variables`` to ``path``; ``False`` if the file there already shows
    exactly that (and is kept)."""
    png = path.suffix.lower() == ".png"
    key = chart_key(ds, variables) if png else None
    if key is not None and recorded_key(path) == key:
        return False
    fig = scenario_lines(ds, variables)
    save_figure(fig, path, metadata={CHART_KEY: key} if key is not None else None)
    return True
