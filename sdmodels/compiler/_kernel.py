"""Assemble the generated module source from a :class:`KernelPlan`.

The kernel is split into functions of bounded size, so that numba's type inference and LLVM's
optimisation, whose cost grows faster than linearly with the size of one function, grow linearly
with the model. Each phase of ``_sample`` (initialisation, values that do not change over time,
auxiliaries of a step, reported values and the saved row, the Euler step) is cut into chunks of
at most :data:`CHUNK_LINES` statements (a node or a stateful's statements are never cut), each
chunk its own ``@numba.njit`` function taking the values it reads and returning the values that
later code reads; ``_sample`` calls the chunks in order and keeps the values between them, so
every statement runs in the same order as in one function.

Splitting has costs of its own: numba spends a fixed time on every function and about as much
on a value passed between functions as on a statement, and passing values between functions at
every time step costs run time. Kernels of at most :data:`SPLIT_LINES` statements (the NHS model
has 1,042) are therefore written as one function, and in a split model a phase of at most
:data:`INLINE_LINES` statements stays in ``_sample``. Measured on the generated scalar models of
``benchmarks/bench_compile.py`` (numba CPU time, 3 December 2026): 2,000 variables, 3,752
statements, 23.0 s in one function, 22.1 s in chunks of 75, 23.2 s in chunks of 150 and 30.5 s
in chunks of 500; 5,000 variables, 9,368 statements, 60.6 s in chunks of 75 and 80.2 s in
chunks of 150.

The source gives numba few statements and assigns every name once (numba rebuilds SSA form for
each name assigned twice, with a pass over the whole function): the saved row is copied from
tuples (:data:`ROW_TUPLE`), values the initialisation has computed from the same statement are not
computed again, the initialisation's other values have names of their own
(:data:`INIT_PREFIX`), and the scalar states travel between steps in :data:`STATE_ARRAY`.

Runs of entries of an array move in one statement (``f_load_tuple`` and ``f_store_tuple`` of
:mod:`._support`): the saved row and the states are stored a tuple at a time, the states are
read back a tuple at a time, and the reads of single parameters (``v_x = Pi[17]``) are
gathered at the start of the function that holds them and read a run of consecutive columns at
a time. numba lowers every ``a[k]`` through its general indexing code, and LLVM unrolled the
loops that copied a tuple into the row into a switch per entry. On the NHS kernel (4 December
2026, back to back, load 2.6; 1,079 statements to 708) numba's compile went from 3.45-3.55 to
2.72-2.76 CPU-seconds (LLVM 1.21-1.25 to 0.82 s) and the kernel runs faster (3,202-3,224 to
3,655-3,704 runs per CPU-second, batches of 10,000), with bit-identical results.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass, field

from sdmodels.compiler._builder import KERNEL_LOCALS, KernelPlan
from sdmodels.compiler._loops import LOOP_VAR
from sdmodels.compiler._text import comment_text

__all__ = ["CHUNK_LINES", "INLINE_LINES", "SPLIT_LINES", "generate_source"]

#: Most statements in one generated function (a node or a stateful's statements are never split).
CHUNK_LINES = 75
#: A model of at most this many statements is one function (no chunks).
SPLIT_LINES = 2500
#: In a split model, a phase of at most this many statements stays in ``_sample``.
INLINE_LINES = 60

#: Most values in one tuple of the saved row, the states or the parameters moved by one
#: statement (numba types a tuple's entries whenever it types the tuple: short ones keep it
#: cheap).
ROW_TUPLE = 50

#: numba options of ``_sample`` and the chunks: no wrapper for calls from C (nothing calls one),
#: and none of numba's rewrites of the IR (constant indices and raises, array expressions,
#: print), which the generated statements never need: the rewrites and the liveness analyses
#: numba runs again after them took 0.3 of the NHS kernel's 6.3 CPU-seconds (4 December 2026).
KERNEL_FLAGS = "no_cfunc_wrapper=True, no_rewrites=True"

#: Prefix of the initialisation's copies of values computed again in the time loop.
INIT_PREFIX = "_i_"

#: The array that carries the scalar states from one time step to the next.
STATE_ARRAY = "S"

#: The sample's row of the parameter matrix (``P[i]``): a constant is ``Pi[17]``, which numba
#: types and lowers in about 60% of the time of ``P[i, 17]`` (a one-dimensional index).
PARAM_ROW = "Pi"

#: Arguments of ``_sample`` and the kernels.
_ARGS = "i, P, ctl, times, saved, out, oc, TS_X, TS_Y, TS_M"


@dataclass
class _Chunk:
    """One generated function: its statements and the names it reads and stores."""

    name: str
    lines: list[str]
    reads: list[str] = field(default_factory=list)  # read before stored here, in order
    stores: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    inline: bool = False  # written into ``_sample`` itself


def _names(lines: list[str]) -> tuple[list[str], list[str]]:
    """Names read before they are stored, and names stored, by ``lines`` (in order)."""
    return _combined([_group_names(tuple(lines))])


@functools.lru_cache(maxsize=None)
def _group_names(lines: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """:func:`_names` of one group of statements, parsed once (the generator asks for the names
    of the same nodes and chunks several times: parsing them again took 2.7 of the 3.2 s that
    writing the source of a 5,000-variable model took)."""
    reads: dict[str, None] = {}
    stores: dict[str, None] = {}
    for stmt in ast.parse("\n".join(lines)).body:
        loaded, stored = [], []
        if isinstance(stmt, ast.For):  # the loop variable is stored before the body reads it
            stored.extend(n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name))
            for name in stored:
                stores.setdefault(name)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                (stored if isinstance(node.ctx, ast.Store) else loaded).append(node.id)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            loaded.append(stmt.target.id)
        for name in loaded:
            if name not in stores:
                reads.setdefault(name)
        for name in stored:
            stores.setdefault(name)
    return tuple(reads), tuple(stores)


def _combined(parts) -> tuple[list[str], list[str]]:
    """:func:`_names` of consecutive groups from the names of each: a name a group reads
    before storing it is read by the whole unless an earlier group stores it."""
    reads: dict[str, None] = {}
    stores: dict[str, None] = {}
    for part_reads, part_stores in parts:
        for name in part_reads:
            if name not in stores:
                reads.setdefault(name)
        for name in part_stores:
            stores.setdefault(name)
    return list(reads), list(stores)


def _nodes_names(groups) -> tuple[list[str], list[str]]:
    """:func:`_names` of the statements of ``groups`` (sequences of lines) run in order."""
    return _combined(_group_names(tuple(g)) for g in groups)


def _groups(nodes) -> list[list[str]]:
    """The statements of each node, headed by a comment naming its element when it changes."""
    out: list[list[str]] = []
    last = None
    for node in nodes:
        lines = list(node.lines)
        if node.element and node.element != last:
            lines.insert(0, f"# {comment_text(node.element)}")
            last = node.element
        out.append(lines)
    return out


#: What one ``f_store_tuple`` statement counts for in :func:`_size`: the three statements it
#: replaced (a tuple, a loop and its store), so that a chunk of a split kernel stores as many
#: values, and takes as many arguments, as before. Counted as one, each chunk of the saved row
#: took three times as many values, and a model of 5,000 variables spent 17.5 instead of about
#: 9 s in numba's lowering (``_sample``'s LLVM IR grew from 222 to 522 MB of text; 4 December
#: 2026).
TUPLE_STORE_SIZE = 3


def _size(group: list[str]) -> int:
    return sum(TUPLE_STORE_SIZE if line.lstrip().startswith("f_store_tuple(") else 1
               for line in group if not line.lstrip().startswith("#"))


def _split(groups: list[list[str]], prefix: str, limit: int, inline: int) -> list[_Chunk]:
    """Cut ``groups`` of statements into chunks of at most ``limit`` statements each, or keep
    them as one inline block if they are at most ``inline`` statements."""
    if sum(_size(g) for g in groups) <= inline:
        lines = [line for g in groups for line in g]
        return [_Chunk(prefix, lines, inline=True)] if lines else []
    chunks: list[_Chunk] = []
    current: list[str] = []
    count = 0
    for group in groups:
        size = _size(group)
        if current and count + size > limit:
            chunks.append(_Chunk(f"{prefix}_{len(chunks)}", current))
            current, count = [], 0
        current.extend(group)
        count += size
    if count:
        chunks.append(_Chunk(f"{prefix}_{len(chunks)}", current))
    return chunks


def _link(chunks: list[_Chunk], kernel_locals: set[str]) -> None:
    """Inputs (names ``_sample`` holds) and outputs (names some chunk reads) of every chunk."""
    for chunk in chunks:
        chunk.reads, chunk.stores = _names(chunk.lines)
    local = set(kernel_locals)
    for chunk in chunks:
        local.update(chunk.stores)
    read_anywhere: set[str] = set()
    for chunk in chunks:
        chunk.inputs = [n for n in chunk.reads if n in local]
        read_anywhere.update(chunk.inputs)
    for chunk in chunks:
        chunk.outputs = [] if chunk.inline else [n for n in chunk.stores if n in read_anywhere]


def _function(chunk: _Chunk) -> list[str]:
    if chunk.inline:
        return []
    body = list(chunk.lines)
    if chunk.outputs:
        body.append("return (" + "".join(f"{n}, " for n in chunk.outputs) + ")")
    return [
        "",
        "",
        # called only from jitted code: no wrapper for calls from Python or C (numba builds
        # them for every function otherwise, a fixed cost of each chunk); not cached by numba,
        # since _sample is cached with every chunk linked into it (_numba_llvm.py)
        f"@numba.njit(no_cpython_wrapper=True, {KERNEL_FLAGS}, **CHUNK_JIT_OPTIONS)",
        f"def {chunk.name}({', '.join(chunk.inputs)}):",
        *("    " + line for line in body),
    ]


def _calls(chunks: list[_Chunk], indent: int) -> list[str]:
    """The statements of ``_sample`` that run ``chunks``: inline blocks, or calls."""
    out = []
    for chunk in chunks:
        if chunk.inline:
            out.extend(" " * indent + line for line in chunk.lines)
            continue
        call = f"{chunk.name}({', '.join(chunk.inputs)})"
        if chunk.outputs:
            call = "(" + "".join(f"{n}, " for n in chunk.outputs) + ") = " + call
        out.append(" " * indent + call)
    return out


def _metadata_source(meta: dict) -> str:
    """``METADATA = json.loads(...)`` with the JSON laid out one key per line."""
    text = json.dumps(meta, sort_keys=True, indent=1, ensure_ascii=True)
    quotes = "'" * 3
    if quotes in text or text.endswith("\\"):
        return f"METADATA = json.loads({text!r})"
    return f"METADATA = json.loads(r{quotes}{text}{quotes})"


def _row_lines(outputs: list[tuple[str, str]]) -> list[list[str]]:
    """The saved row: consecutive entries of one array as a loop over the array, and runs of
    other values as a tuple of at most :data:`ROW_TUPLE` values stored by ``f_store_tuple``, so
    that a model with 600 outputs needs a dozen statements, not 600 (numba's time grows with
    the number of statements; a tuple is one)."""
    out: list[list[str]] = []
    entry = re.compile(r"([a-z_][a-z0-9_]*)\[(\d+)\]")
    run: list[tuple[int, str]] = []  # (column, value) of consecutive scalar outputs

    def flush() -> None:
        for start in range(0, len(run), ROW_TUPLE):
            part = run[start : start + ROW_TUPLE]
            first = part[0][0]
            if len(part) == 1:
                out.append([f"row[{first}] = {part[0][1]}"])
                continue
            values = "".join(f"{v}, " for _, v in part)
            out.append([f"f_store_tuple(row, {first}, ({values}))"])
        run.clear()

    col = 0
    while col < len(outputs):
        m = entry.fullmatch(outputs[col][1])
        end = col + 1
        if m:
            while end < len(outputs):
                m2 = entry.fullmatch(outputs[end][1])
                if not (m2 and m2.group(1) == m.group(1)
                        and int(m2.group(2)) == int(m.group(2)) + end - col):
                    break
                end += 1
        if end - col >= 2:
            flush()
            shift = col - int(m.group(2))
            index = f"{LOOP_VAR} + {shift}" if shift > 0 else f"{LOOP_VAR} - {-shift}" if shift else LOOP_VAR
            out.append([f"for {LOOP_VAR} in range({m.group(2)}, {int(m.group(2)) + end - col}):",
                        f"    row[{index}] = {m.group(1)}[{LOOP_VAR}]"])
        else:
            run.append((col, outputs[col][1]))
            end = col + 1
        col = end
    flush()
    return out


_WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")
_PARAMS = re.compile(r"\bP\[i, ")
_ASSIGN = re.compile(r"([a-z_][a-z0-9_]*) = (.*)")


def _carried_states(plan: KernelPlan, init_stores: set[str]) -> list[str]:
    """Scalar states the time loop stores again (INTEG, TREND, ...): kept in
    :data:`STATE_ARRAY` between steps, so that each is assigned once in the source (read at the
    top of the loop), not once by the initialisation and again by every step."""
    simple: dict[str, bool] = {}
    for st in plan.statefuls:
        for stmt in ast.parse("\n".join((*st.deriv, *st.compute, *st.update))).body:
            plain = (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                     and isinstance(stmt.targets[0], ast.Name))
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    simple[node.id] = simple.get(node.id, True) and plain
    out = []
    for st in plan.statefuls:
        for name in sorted(st.state_names):
            if name in init_stores and simple.get(name) and name not in out:
                out.append(name)
    return out


def _carry_step(groups: list[list[str]], index: dict[str, int]) -> list[list[str]]:
    """The Euler step with the carried states stored into :data:`STATE_ARRAY`; a statement
    after a state's update that reads it reads the updated entry, as it read the updated
    name before."""
    updated: set[str] = set()

    def sub(text: str) -> str:
        return _WORD.sub(lambda m: f"{STATE_ARRAY}[{index[m.group(0)]}]"
                         if m.group(0) in updated else m.group(0), text)

    out = []
    for group in groups:
        new = []
        for line in group:
            m = _ASSIGN.fullmatch(line)
            if m and m.group(1) in index:
                new.append(f"{STATE_ARRAY}[{index[m.group(1)]}] = {sub(m.group(2))}")
                updated.add(m.group(1))
            else:
                new.append(line if line.lstrip().startswith("#") else sub(line))
        out.append(new)
    return out


def _tuple_copy(values: list[str], target: str) -> list[list[str]]:
    """``target[k] = values[k]`` for every k, through tuples of at most :data:`ROW_TUPLE`."""
    return [[f"f_store_tuple({target}, {start}, "
             f"({''.join(f'{v}, ' for v in values[start : start + ROW_TUPLE])}))"]
            for start in range(0, len(values), ROW_TUPLE)]


def _tuple_load(names: list[str], source: str, first: int = 0) -> list[str]:
    """``names[k] = source[first + k]`` for every k, through tuples of at most
    :data:`ROW_TUPLE` (a single name is read as ``source[first]``)."""
    if len(names) == 1:
        return [f"{names[0]} = {source}[{first}]"]
    return [f"({''.join(f'{n}, ' for n in names[start : start + ROW_TUPLE])}) = "
            f"f_load_tuple({source}, {first + start}, {len(names[start : start + ROW_TUPLE])})"
            for start in range(0, len(names), ROW_TUPLE)]


_PARAM_READ = re.compile(rf"([a-z_][a-z0-9_]*) = {PARAM_ROW}\[(\d+)\]")


def _group_param_reads(chunks: list[_Chunk]) -> None:
    """Move the reads of single parameters (``v_x = Pi[17]``, unindented) in ``chunks``,
    statements that run one after the other in one function, to the start of the first chunk,
    read by :func:`_tuple_load` a run of consecutive columns at a time. Only a name that no
    earlier line mentions is moved (it is stored once, by this line, and nothing before reads
    it); ``Pi`` never changes, so every name holds the same value as before, and the chunks
    read and store the same names."""
    first_seen: dict[str, tuple[int, int]] = {}
    for c, chunk in enumerate(chunks):
        for k, line in enumerate(chunk.lines):
            if not line.lstrip().startswith("#"):
                for word in _WORD.findall(line):
                    first_seen.setdefault(word, (c, k))
    reads: dict[int, str] = {}
    for c, chunk in enumerate(chunks):
        keep = []
        for k, line in enumerate(chunk.lines):
            m = _PARAM_READ.fullmatch(line)
            if m and first_seen.get(m.group(1)) == (c, k) and int(m.group(2)) not in reads:
                reads[int(m.group(2))] = m.group(1)
            else:
                keep.append(line)
        chunk.lines = keep
    head: list[str] = []
    columns = sorted(reads)
    while columns:
        end = 1
        while end < len(columns) and columns[end] == columns[0] + end:
            end += 1
        head += _tuple_load([reads[c] for c in columns[:end]], PARAM_ROW, columns[0])
        columns = columns[end:]
    if chunks:
        chunks[0].lines = head + chunks[0].lines


def _single_definitions(plan: KernelPlan) -> tuple[list, set[str]]:
    """The static nodes still to compute after the initialisation, and the names the
    initialisation must store under other names, so that no value is assigned twice.

    numba rebuilds SSA form for every variable assigned more than once, each time with a pass
    over the whole function, so a kernel whose initialisation and time loop assign the same
    names compiled in time growing with the square of its size. A value that does not change
    over time and whose statement and inputs are the same in both (a constant, ``P[i, 3] / 4``)
    is computed once, by the initialisation, and not again; any other value the
    initialisation stores and later code stores again gets an initialisation name of its own
    (:data:`INIT_PREFIX`), unless later code reads the initialisation's value (the states).
    The statements run are the same, on the same inputs, so results are bit-identical.
    """
    init_lines = {node.name: tuple(node.lines) for node in plan.init_nodes}
    init_stores: set[str] = set()
    for node in plan.init_nodes:
        init_stores.update(_names(list(node.lines))[1])
    shared: set[str] = set()
    static_nodes = []
    for node in plan.static_nodes:
        if init_lines.get(node.name) == tuple(node.lines):
            reads, stores = _names(list(node.lines))
            if stores == [node.name] and all(r in shared or r not in init_stores for r in reads):
                shared.add(node.name)
                continue
        static_nodes.append(node)
    static = [node.lines for node in static_nodes]
    dynamic = [node.lines for node in plan.dynamic_nodes]
    report = [node.lines for node in plan.report_nodes]
    step = [(*st.deriv, *st.compute, *st.update) for st in plan.statefuls]
    later_stores = set(_nodes_names(static + dynamic + report + step)[1])
    carried = (set(_nodes_names(static + dynamic + step)[0])
               | set(_nodes_names(static + dynamic + report)[0]))
    carried |= {name for st in plan.statefuls for name in st.state_names}
    return static_nodes, (init_stores & later_stores) - carried - set(KERNEL_LOCALS)


def _phases(plan: KernelPlan, limit: int, inline: int, split: int) -> dict[str, list[_Chunk]]:
    """The chunks of each phase of ``_sample``, in the order they run."""
    static_nodes, rename = _single_definitions(plan)
    init_stores: set[str] = set()
    for node in plan.init_nodes:
        init_stores.update(_names(list(node.lines))[1])
    carried = _carried_states(plan, init_stores)
    rename |= set(carried)
    init = []
    last = None
    for node in plan.init_nodes:
        lines = [_WORD.sub(lambda m: INIT_PREFIX + m.group(0) if m.group(0) in rename
                           else m.group(0), line) for line in node.lines]
        if node.element and node.element != last:
            lines.insert(0, f"# {comment_text(node.element)}")
            last = node.element
        init.append(lines)
    report = _groups(plan.report_nodes)
    report += _row_lines(plan.outputs)
    step = [[f"# {comment_text(st.label)}", *st.deriv] for st in plan.statefuls if st.deriv]
    step += [list(st.compute) for st in plan.statefuls if st.compute]
    step += [list(st.update) for st in plan.statefuls if st.update]
    index = {name: k for k, name in enumerate(carried)}
    step = _carry_step(step, index)
    store = [[f"{STATE_ARRAY} = np.empty({len(carried)})"],
             *_tuple_copy([INIT_PREFIX + n for n in carried], STATE_ARRAY)] if carried else []
    load = [_tuple_load(list(index), STATE_ARRAY)] if carried else []
    groups = {"init": init, "static": _groups(static_nodes), "store": store, "load": load,
              "dynamic": _groups(plan.dynamic_nodes), "report": report, "step": step}
    prefixes = {"init": "_init", "static": "_static", "dynamic": "_aux", "report": "_report",
                "step": "_step"}
    groups = {k: [[_PARAMS.sub(PARAM_ROW + "[", line) for line in g] for g in phase]
              for k, phase in groups.items()}
    if sum(_size(g) for phase in groups.values() for g in phase) <= split:
        inline = split  # a small model: one function
    phases = {k: _split(g, prefixes[k], limit, inline) for k, g in groups.items()
              if k in prefixes}
    # the states' array is filled and read by ``_sample`` itself
    phases["store"] = _split(store, "_store", limit, 10**9)
    phases["load"] = _split(load, "_load", limit, 10**9)
    return phases


def generate_source(
    plan: KernelPlan, *, display_name: str, key: str, chunk_lines: int | None = None,
    inline_lines: int | None = None, split_lines: int | None = None,
) -> str:
    """Return the Python source of the kernel module for ``plan``.

    The module defines ``METADATA`` (a JSON-compatible dict), the chunk functions, ``_sample``
    (samples ``first`` to ``last - 1``, jitted), ``_kernel`` (``prange`` over samples, one
    ``_sample`` call each) and ``_kernel_serial`` (plain Python: one ``_sample`` call for all).
    ``chunk_lines``, ``inline_lines`` and ``split_lines`` override
    :data:`CHUNK_LINES`, :data:`INLINE_LINES` and :data:`SPLIT_LINES`.
    """
    meta = dict(plan.metadata)
    meta["key"] = key
    meta["outputs"] = [py for py, _ in plan.outputs]
    try:
        phases = _phases(
            plan,
            CHUNK_LINES if chunk_lines is None else chunk_lines,
            INLINE_LINES if inline_lines is None else inline_lines,
            SPLIT_LINES if split_lines is None else split_lines,
        )
        every = [c for chunks in phases.values() for c in chunks]
        _link(every, set(KERNEL_LOCALS) | set(plan.arrays) | {STATE_ARRAY, PARAM_ROW})
        # the same names read and stored after this: the links hold
        before_loop = phases["init"] + phases["static"]
        if all(c.inline for c in before_loop):  # one block of _sample before the time loop
            _group_param_reads(before_loop)
        for chunk in every:
            if not chunk.inline:
                _group_param_reads([chunk])
    finally:
        # the parsed names serve this model's source only: a long-lived process (a dashboard,
        # a sweep over model files) would otherwise keep every model's statements
        _group_names.cache_clear()
    # what numba's compile time grows with (CompiledModel.estimated_jit_seconds)
    meta["jit_statements"] = sum(_size(c.lines) for c in every)
    meta["jit_functions"] = sum(not c.inline for c in every) + 1  # and _sample
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
        # every jitted helper and JIT_OPTIONS (the helper module's __all__); importing them here,
        # not in the generator, keeps numba out of code generation
        "from sdmodels.compiler._support import *",
        "",
        "CHUNK_JIT_OPTIONS = {**JIT_OPTIONS, \"cache\": False}",
        "",
    ]
    for table in plan.tables:
        lines.extend(table.source().splitlines())
    for chunk in every:
        lines += _function(chunk)
    body = [
        "time = times[0]",
        f"{PARAM_ROW} = P[i]  # this sample's parameters",
        f"row = np.empty({len(plan.outputs)})  # values of all outputs at a saved time",
        *(["# ---- subscripted values: one array per variable"] if plan.arrays else []),
        *plan.arrays.values(),
        "# ---- initialisation (stateful initial values, in dependency order)",
        *_calls(phases["init"], 0),
        "# ---- values that do not change over time",
        *_calls(phases["static"], 0),
        *(["# ---- states carried from one step to the next, in one array"]
          if phases["store"] else []),
        *_calls(phases["store"], 0),
        "j = 0",
        "nt = times.shape[0]",
        "for k in range(nt):",
        "    time = times[k]",
        *_calls(phases["load"], 4),
        "    # ---- auxiliaries at this time, from the stocks at this time",
        *_calls(phases["dynamic"], 4),
        "    if saved[k]:",
        "        # ---- values only reported, not needed by the stocks; the saved row",
        *_calls(phases["report"], 8),
        "        for c in range(row.shape[0]):",
        "            if oc[c] >= 0:",
        "                out[oc[c], i, j] = row[c]",
        "        j += 1",
        "    if k == nt - 1:",
        "        break",
        "    # ---- Euler step: derivatives from the values at the start of the step, then updates",
        *_calls(phases["step"], 4),
    ]
    lines += [
        "",
        "",
        # a serial run calls it from Python for all its samples; the parallel kernel calls it
        # for one sample at a time. One function that both use, and that the serial run calls
        # directly, is compiled once: a jitted caller would optimise and generate its machine
        # code again (numba links the callee's code into every caller).
        f"@numba.njit({KERNEL_FLAGS}, **JIT_OPTIONS)",
        f"def _sample(first, last, {_ARGS.removeprefix('i, ')}):",
        '    """Integrate samples ``first`` to ``last - 1`` and store their saved columns in ``out``."""',
        "    for i in range(first, last):",
        *("        " + line if line else "" for line in body),
        "",
        "",
        # numba's parallel pipeline keeps its rewrites: the kernel is one prange loop
        "@numba.njit(parallel=True, no_cfunc_wrapper=True, **JIT_OPTIONS)",
        f"def _kernel({_ARGS.removeprefix('i, ')}):",
        '    """All samples, in parallel."""',
        "    for i in numba.prange(P.shape[0]):",
        # prange's index is unsigned: as the int64 a serial run passes, both runs call the
        # same compiled _sample (numba would compile it again, the whole model, for uint64)
        "        first = np.int64(i)",
        f"        _sample(first, first + 1, {_ARGS.removeprefix('i, ')})",
        "",
        "",
        f"def _kernel_serial({_ARGS.removeprefix('i, ')}):",
        '    """All samples, one after the other (reference for the parallel kernel)."""',
        f"    _sample(0, P.shape[0], {_ARGS.removeprefix('i, ')})",
        "",
        "",
        "# names, shapes, defaults and output columns of the model",
        _metadata_source(meta),
        "",
    ]
    return "\n".join(lines)
