"""Random functions (RANDOM 0 1, UNIFORM, NORMAL, EXPONENTIAL, TRIANGULAR, POISSON, BINOMIAL,
NEGATIVE BINOMIAL, WEIBULL, BETA and LOOKUP).

Every draw is a hash of three things (see :func:`sdmodels.compiler._support.f_uniform01`):

* the sample's *stream key*, the last column of the kernel's parameter matrix, which
  :class:`~sdmodels.compiler.runtime.CompiledModel` fills from the run's noise seed and each
  sample's index in the whole batch (:func:`noise_keys`), so a sample draws the same numbers
  whatever chunk or thread runs it, and sample ``i`` of every scenario draws the same numbers
  (common random numbers);
* the call site: a constant per element, cell and occurrence of the function in the equation
  (:class:`RandomSites`), derived from the model's names only, so that it is the same in every
  process and every compile;
* the integration step (PySD draws afresh at every step: its random calls depend on time).

The PySD engine is seeded from the same key (:func:`pysd_seed`), so its runs are reproducible
too, though its numbers are numpy's, not these: the two engines agree in distribution.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from sdmodels._common import LazyModule

__all__ = [
    "NOISE_KEY",
    "RANDOM_FUNCTIONS",
    "RandomSites",
    "compiled_only_functions",
    "noise_keys",
    "pysd_implements",
    "pysd_seed",
    "random_code",
    "uses_random",
]

#: The reserved parameter name under which a batch passes each sample's stream key
#: (:func:`noise_keys`) to either engine.
NOISE_KEY = "__noise_key__"

#: PySD's name -> (accepted numbers of arguments, helper, number of arguments the helper reads).
#: The last argument of Vensim's functions (the seed) is ignored, as PySD ignores it: the
#: stream comes from the run's noise seed and the sample.
RANDOM_FUNCTIONS: dict[str, tuple[tuple[int, ...], str, int]] = {
    "random_0_1": ((0,), "f_random_uniform", 0),
    "random_uniform": ((2, 3), "f_random_uniform", 2),
    "random_normal": ((4, 5), "f_random_normal", 4),
    "random_exponential": ((4, 5), "f_random_exponential", 4),
    # Vensim's own, which PySD does not implement (so only the compiled engine runs them)
    "random_triangular": ((5, 6), "f_random_triangular", 5),
    "random_poisson": ((5, 6), "f_random_poisson", 5),
    "random_binomial": ((6, 7), "f_random_binomial", 6),
    "random_weibull": ((5, 6), "f_random_weibull", 5),
    "random_beta": ((6, 7), "f_random_beta", 6),
    "random_negative_binomial": ((6, 7), "f_random_negative_binomial", 6),
    # its first argument, a lookup, is passed as the table's two arrays (x and y)
    "random_lookup": ((5, 6), "f_random_lookup", 6),
}

_pysd_functions = LazyModule("pysd.builders.python.python_functions")


def pysd_implements(fname: str) -> bool:
    """Whether PySD runs the call ``fname``: for a function outside its builder's function
    space PySD writes a call that fails when the model runs (``not_implemented_function``).
    ``A FUNCTION OF`` (an incomplete equation) is left to PySD's own handling.

    Examples
    --------
    >>> pysd_implements("random_uniform"), pysd_implements("random_beta")
    (True, False)
    """
    return fname == "a_function_of" or fname in _pysd_functions.functionspace


def compiled_only_functions() -> list[str]:
    """Vensim names of the random functions the compiled engine runs and PySD does not.

    Examples
    --------
    >>> "RANDOM BETA" in compiled_only_functions(), "RANDOM UNIFORM" in compiled_only_functions()
    (True, False)
    """
    return sorted(n.upper().replace("_", " ") for n in RANDOM_FUNCTIONS if not pysd_implements(n))


#: Stream keys are kept below 2**53 so that they travel exactly as float64 parameters.
_KEY_MASK = (1 << 53) - 1
_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64's finaliser on Python ints (the same function as ``_support.f_mix64``)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _mix64_array(x: np.ndarray) -> np.ndarray:
    """:func:`_mix64` on a ``uint64`` array (numpy's unsigned arithmetic wraps modulo 2**64)."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def noise_keys(seed: int, samples: Any) -> np.ndarray:
    """Stream keys (float64 holding integers below 2**53) of ``samples`` under ``seed``.

    Examples
    --------
    >>> keys = noise_keys(1, [0, 1, 2])
    >>> keys.dtype, len(set(keys.tolist())), bool((noise_keys(1, [2]) == keys[2]).all())
    (dtype('float64'), 3, True)
    """
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"the noise seed must be a non-negative integer, got {seed}")
    base = np.uint64(_mix64(seed & _MASK64))
    idx = np.asarray(samples, dtype=np.int64).ravel().astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = _mix64_array(base ^ idx) & np.uint64(_KEY_MASK)
    return keys.astype(np.float64)


def pysd_seed(key: float) -> int:
    """A seed for numpy's global generator (which PySD's random functions use) from a stream key.

    Examples
    --------
    >>> pysd_seed(noise_keys(0, [0])[0]) == pysd_seed(noise_keys(0, [0])[0])
    True
    """
    return _mix64(int(key)) & 0xFFFFFFFF


class RandomSites:
    """Call-site constants: one per element, cell and occurrence of a random function."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, tuple[str, ...], int], int] = {}
        self._count: dict[tuple[str, tuple[str, ...]], int] = {}

    def site(self, py_name: str, cell: tuple[str, ...], node: Any) -> int:
        """The constant of ``node`` (an AST call) in ``cell`` of element ``py_name``: the same in
        the initial and the run mode, numbered in the order first seen."""
        where = (py_name, tuple(cell))
        key = (*where, id(node))
        if key not in self._index:
            self._index[key] = self._count.get(where, 0)
            self._count[where] = self._index[key] + 1
        text = f"{py_name}|{'|'.join(cell)}|{self._index[key]}"
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def random_code(fname: str, site: int, mode: str, args: list[str]) -> str:
    """The helper call of one random function: stream key ``P[i, -1]``, the site, the step ``k``
    (0 in the initialisation, which draws what the first step draws) and the arguments.

    Examples
    --------
    >>> random_code("random_uniform", 7, "run", ["0.0", "1.0"])
    'f_random_uniform(P[i, -1], 7, k, 0.0, 1.0)'
    >>> random_code("random_0_1", 7, "init", [])
    'f_random_uniform(P[i, -1], 7, 0, 0.0, 1.0)'
    """
    _, helper, used = RANDOM_FUNCTIONS[fname]
    step = "0" if mode == "init" else "k"
    values = ["0.0", "1.0"] if fname == "random_0_1" else args[:used]
    return f"{helper}(P[i, -1], {site}, {step}, {', '.join(values)})"


_RANDOM_TEXT = re.compile(
    r"RANDOM[\s_]+(0[\s_]+1|UNIFORM|NORMAL|EXPONENTIAL|TRIANGULAR|POISSON|(NEGATIVE[\s_]+)?BINOMIAL"
    r"|WEIBULL|BETA|LOOKUP)\s*\(", re.IGNORECASE)


def uses_random(path: str | Path) -> bool:
    """Whether a model file may call a random function (a text search: a mention in a comment
    counts too, which only costs a per-sample stream key nobody reads).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.mdl"
    >>> _ = f.write_text("x = RANDOM UNIFORM(0, 1, 0) ~~|")
    >>> uses_random(f)
    True
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _RANDOM_TEXT.search(text) is not None
