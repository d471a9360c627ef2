"""The ``ds.sd`` accessor: summaries and figures of sdmodels results.

Importing :mod:`sdmodels` registers it (a stand-in that imports this module when a Dataset's
``.sd`` is first read). It keeps no state: xarray makes a new one for each
Dataset, and each method calls the function of the same concern (:mod:`sdmodels.montecarlo`,
:mod:`sdmodels.plots`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

from sdmodels._html import result_html
from sdmodels.montecarlo import DEFAULT_QUANTILES, prob_better, quantiles, summary_table
from sdmodels.plots import fan_chart

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["SDAccessor"]


class SDAccessor:
    """``ds.sd``: summaries and figures of sdmodels results (stateless).

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> ds = xr.Dataset({"y": (("sample", "time"), np.arange(6.0).reshape(3, 2))},
    ...                 coords={"time": [0.0, 1.0]})
    >>> ds.sd.quantiles([0.5])["y"].values.tolist()
    [[2.0, 3.0]]
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def _repr_html_(self) -> str:
        """Jupyter (``ds.sd``): how the result was made, its scenarios and first outputs."""
        return result_html(self._ds)

    def html(self) -> str:
        """The HTML card that ``ds.sd`` shows in Jupyter (every text escaped)."""
        return self._repr_html_()

    def quantiles(self, q: Sequence[float] = DEFAULT_QUANTILES) -> xr.Dataset:
        """Quantiles over samples; see :func:`quantiles`."""
        return quantiles(self._ds, q)

    def prob_better(self, reference: str | None = None) -> xr.DataArray:
        """Share of samples in which each scenario beats the reference; see :func:`prob_better`."""
        return prob_better(self._ds, reference)

    def summary(
        self,
        *,
        outputs: Sequence[str] | None = None,
        years: Iterable[float] | None = None,
        q: Sequence[float] = DEFAULT_QUANTILES,
    ) -> pd.DataFrame:
        """Quantiles and probabilities as a table; see :func:`summary_table`."""
        return summary_table(self._ds, outputs=outputs, years=years, q=q)

    def fan(self, variable: str, **kwargs: Any) -> Figure:
        """Fan chart of one output, one panel per scenario; see :func:`sdmodels.plots.fan_chart`."""
        return fan_chart(self._ds, variable, **kwargs)
