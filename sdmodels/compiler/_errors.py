"""Errors raised by the compiler."""

from __future__ import annotations

from sdmodels.errors import SDModelsError

__all__ = ["UnsupportedFeature"]


class UnsupportedFeature(SDModelsError, NotImplementedError):
    """A model uses something the compiled engine does not implement.

    Parameters
    ----------
    function
        The Vensim/XMILE function or construct (for example ``"GET XLS DATA"``).
    element
        The model element whose equation uses it.
    file
        The model file.
    detail
        Optional extra explanation.
    pysd_runs
        False when PySD does not implement it either, so that falling back to PySD would
        only fail later: the message then says so, and ``engine="auto"`` raises it.

    Examples
    --------
    >>> err = UnsupportedFeature("RANDOM UNIFORM", "noise", "models/x.mdl")
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    the compiled engine does not support RANDOM UNIFORM (used by element 'noise' in
    models/x.mdl); run this model with engine="pysd" (engine="auto" does so automatically)
    >>> print(UnsupportedFeature("RANDOM GAMMA", "noise", "x.mdl", pysd_runs=False))
    ... # doctest: +NORMALIZE_WHITESPACE
    neither engine supports RANDOM GAMMA (used by element 'noise' in x.mdl): PySD does not
    implement it either; replace it in the model with a function both engines support
    """

    def __init__(
        self, function: str, element: str | None, file: str | None, detail: str = "",
        pysd_runs: bool = True,
    ) -> None:
        self.function = function
        self.element = element
        self.file = file
        self.detail = detail
        self.pysd_runs = pysd_runs
        where = []
        if element:
            where.append(f"used by element {element!r}")
        if file:
            where.append(f"in {file}")
        extra = f"; {detail}" if detail else ""
        used = f" ({' '.join(where)})" if where else ""
        if pysd_runs:
            self.message = (
                f"the compiled engine does not support {function}{used}{extra}; run this model "
                "with engine=\"pysd\" (engine=\"auto\" does so automatically)"
            )
        else:
            self.message = (
                f"neither engine supports {function}{used}: PySD does not implement it "
                f"either{extra}; replace it in the model with a function both engines support"
            )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # keep the exception picklable (dask workers)
        return (type(self), (self.function, self.element, self.file, self.detail, self.pysd_runs))
