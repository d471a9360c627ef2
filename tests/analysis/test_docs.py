"""The Python blocks of docs/analysis.md run, in order, as one notebook."""

from __future__ import annotations

import re
from pathlib import Path

from sdmodels._paths import MODELS_DIR

DOC = MODELS_DIR.parent / "docs" / "analysis.md"


def test_analysis_guide_runs_as_written(monkeypatch, capsys):
    monkeypatch.chdir(MODELS_DIR.parent)  # the guide uses paths relative to the repository
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {"__name__": "docs_analysis"}
    for i, block in enumerate(blocks):
        code = compile(block, f"{DOC.name} block {i + 1}", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation, run as a notebook would
    out = capsys.readouterr().out
    assert "Protected Improvement Time" in out and "interactions:" in out
    assert "fails to beat supply_push" in out and "outside tolerance" in out
    assert Path(namespace["folder"], "scenarios.xlsx").exists()
