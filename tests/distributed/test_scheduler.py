"""Parsing ``scheduler=`` (no cluster is started here)."""

from __future__ import annotations

import pytest

from sdmodels.distributed import SchedulerError, connect, parse_scheduler
from sdmodels.errors import SDModelsError


@pytest.mark.parametrize(
    ("text", "kind", "address", "n"),
    [
        ("local:3", "local", None, 3),
        (" local:1 ", "local", None, 1),
        ("tcp://10.0.0.5:8786", "address", "tcp://10.0.0.5:8786", None),
        ("tls://sched.example.org:8786", "address", "tls://sched.example.org:8786", None),
        ("scheduler-host:8786", "address", "tcp://scheduler-host:8786", None),
    ],
)
def test_accepted_forms(text: str, kind: str, address: str | None, n: int | None) -> None:
    spec = parse_scheduler(text)
    assert (spec.kind, spec.address, spec.n_workers) == (kind, address, n)


def test_local_without_count_uses_every_core() -> None:
    import os

    assert parse_scheduler("local").n_workers == (os.cpu_count() or 1)


@pytest.mark.parametrize("bad", ["local:two", "http//x", "", "tcp:/host", "host:port"])
def test_bad_strings_name_the_accepted_forms(bad: str) -> None:
    with pytest.raises(SchedulerError, match="tcp://host:8786"):
        parse_scheduler(bad)


def test_local_needs_a_worker() -> None:
    with pytest.raises(SchedulerError, match="at least one worker"):
        parse_scheduler("local:0")


def test_bad_type() -> None:
    with pytest.raises(SchedulerError, match="Client"):
        parse_scheduler(8786)
    assert issubclass(SchedulerError, SDModelsError)


def test_unreachable_address_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(SchedulerError, match="cannot reach"), connect(
        "tcp://127.0.0.1:9", timeout=1
    ):
        pass  # pragma: no cover
