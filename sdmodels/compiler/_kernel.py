"""Assemble the generated module source from a :class:`KernelPlan`."""

from __future__ import annotations

import json

from sdmodels.compiler import _support
from sdmodels.compiler._builder import KernelPlan
from sdmodels.compiler._text import comment_text

__all__ = ["HELPERS", "generate_source"]

#: What generated kernels import from the jitted support module: its jit options and functions.
HELPERS = tuple(name for name in _support.__all__ if name == "JIT_OPTIONS" or name.startswith("f_"))


def _block(lines: list[str], indent: int) -> list[str]:
    pad = " " * indent
    return [pad + line for line in lines]


def _node_lines(nodes, indent: int) -> list[str]:
    out: list[str] = []
    last = None
    for node in nodes:
        if node.element and node.element != last:
            out.append(" " * indent + f"# {comment_text(node.element)}")
            last = node.element
        out.extend(_block(node.lines, indent))
    return out


def _metadata_source(meta: dict) -> str:
    """``METADATA = json.loads(...)`` with the JSON laid out one key per line."""
    text = json.dumps(meta, sort_keys=True, indent=1, ensure_ascii=True)
    quotes = "'" * 3
    if quotes in text or text.endswith("\\"):
        return f"METADATA = json.loads({text!r})"
    return f"METADATA = json.loads(r{quotes}{text}{quotes})"


def generate_source(plan: KernelPlan, *, display_name: str, key: str) -> str:
    """Return the Python source of the kernel module for ``plan``.

    The module defines ``METADATA`` (a JSON-compatible dict), ``_sample``
    (one sample, jitted), ``_kernel`` (``prange`` over samples) and
    ``_kernel_serial`` (the same, serial).
    """
    meta = dict(plan.metadata)
    meta["key"] = key
    meta["outputs"] = [py for py, _ in plan.outputs]
    lines: list[str] = [
        # the file name is model text too: a comment without line breaks, a repr() literal
        f"# generated from {comment_text(display_name)} by sdmodels.compiler; do not edit",
        repr(f"Compiled batch kernel for {display_name} (cache key {key[:16]})."),
        "# ruff: noqa",
        "import json",
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
        "from sdmodels.compiler._support import (",
        *[f"    {h}," for h in HELPERS],
        ")",
        "",
    ]
    for table in plan.tables:
        lines.extend(table.source().splitlines())
    lines += [
        "",
        "",
        "@numba.njit(**JIT_OPTIONS)",
        "def _sample(i, P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M):",
        '    """Integrate sample ``i`` and store the saved columns in ``out``."""',
        "    time = times[0]",
        f"    row = np.empty({len(plan.outputs)})  # values of all outputs at a saved time",
        "    # ---- initialisation (stateful initial values, in dependency order)",
    ]
    init = []
    last = None
    for node in plan.init_nodes:
        if node.element and node.element != last:
            init.append(f"# {comment_text(node.element)}")
            last = node.element
        init.extend(node.lines)
    lines += _block(init, 4)
    lines.append("    # ---- values that do not change over time")
    lines += _node_lines(plan.static_nodes, 4)
    lines += [
        "    j = 0",
        "    nt = times.shape[0]",
        "    for k in range(nt):",
        "        time = times[k]",
        "        # ---- auxiliaries at this time, from the stocks at this time",
    ]
    lines += _node_lines(plan.dynamic_nodes, 8)
    lines.append("        if saved[k]:")
    if plan.report_nodes:
        lines.append("            # ---- values only reported, not needed by the stocks")
        lines += _node_lines(plan.report_nodes, 12)
    for col, (_py, name) in enumerate(plan.outputs):
        lines.append(f"            row[{col}] = {name}")
    lines += [
        "            for c in range(row.shape[0]):",
        "                if oc[c] >= 0:",
        "                    out[oc[c], i, j] = row[c]",
        "            j += 1",
        "        if k == nt - 1:",
        "            break",
        "        # ---- Euler step: derivatives from the values at the start of the step",
    ]
    for st in plan.statefuls:
        if st.deriv:
            lines.append(f"        # {comment_text(st.label)}")
            lines += _block(st.deriv, 8)
    for st in plan.statefuls:
        if st.compute:
            lines += _block(st.compute, 8)
    lines.append("        # ---- update of the stocks")
    for st in plan.statefuls:
        if st.update:
            lines += _block(st.update, 8)
    if not plan.statefuls:
        lines.append("        pass")
    lines += [
        "",
        "",
        "@numba.njit(parallel=True, **JIT_OPTIONS)",
        "def _kernel(P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M):",
        '    """All samples, in parallel."""',
        "    for i in numba.prange(P.shape[0]):",
        "        _sample(i, P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M)",
        "",
        "",
        "@numba.njit(**JIT_OPTIONS)",
        "def _kernel_serial(P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M):",
        '    """All samples, one after the other (reference for the parallel kernel)."""',
        "    for i in range(P.shape[0]):",
        "        _sample(i, P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M)",
        "",
        "",
        "# names, shapes, defaults and output columns of the model",
        _metadata_source(meta),
        "",
    ]
    return "\n".join(lines)
