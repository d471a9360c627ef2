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

    Examples
    --------
    >>> err = UnsupportedFeature("RANDOM UNIFORM", "noise", "models/x.mdl")
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    the compiled engine does not support RANDOM UNIFORM (used by element 'noise' in
    models/x.mdl); run this model with engine="pysd" (engine="auto" does so automatically)
    """

    def __init__(
        self, function: str, element: str | None, file: str | None, detail: str = ""
    ) -> None:
        self.function = function
        self.element = element
        self.file = file
        self.detail = detail
        where = []
        if element:
            where.append(f"used by element {element!r}")
        if file:
            where.append(f"in {file}")
        extra = f"; {detail}" if detail else ""
        self.message = (
            f"the compiled engine does not support {function}"
            + (f" ({' '.join(where)})" if where else "")
            + f"{extra}; run this model with engine=\"pysd\" "
            "(engine=\"auto\" does so automatically)"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # keep the exception picklable (dask workers)
        return (type(self), (self.function, self.element, self.file, self.detail))
