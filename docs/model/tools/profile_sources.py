"""Keep the sources quoted in the bundled profiles in step with the model file.

``models/profiles/england.toml`` holds the model file's own 2024 starting values, so each of its
entries cites what the model file cites: the text after "Source:" in that variable's comment. The
illustrative ICS and the template quote the same text after their own note ("England source:").
The model file stays the one place where a source is written; run this after editing a comment::

    python docs/model/tools/profile_sources.py

``tests/model/test_profiles.py`` fails when a profile's sources are out of date.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mdl_text import ModelText, source_text  # noqa: E402

__all__ = ["PROFILES", "main", "model_source", "render"]

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "models" / "profiles"
#: The profiles whose sources are the model file's: the England default quotes them whole; the
#: others after their own note, ending with this marker.
ENGLAND, DERIVED = "england.toml", ("illustrative_ics.toml", "_template.toml")
MARKER = "England source: "

_HEADER = re.compile(r'^\[values\."(?P<name>[^"]+)"\]\s*$')
_SOURCE = re.compile(r'^source = (?P<string>".*")\s*$')


def model_source(doc: str, name: str) -> str:
    """The source a model-file comment gives: its text after "Source:"."""
    source = source_text(doc)
    if not source:
        raise ValueError(f"the model file's comment of {name!r} names no source")
    return source


def _rewrite(text: str, docs: dict[str, str], keep_note: bool, path: Path) -> str:
    out, name = [], None
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            name = header.group("name")
        found = _SOURCE.match(line)
        if found and name is not None:
            if name not in docs:
                raise ValueError(f"{path.name}: {name!r} is not a variable of the model file")
            note = ""
            if keep_note:
                old = json.loads(found.group("string"))
                if MARKER not in old:
                    raise ValueError(f"{path.name}: the source of {name!r} lacks {MARKER!r}")
                note = old.split(MARKER, 1)[0] + MARKER
            source = note + model_source(docs[name], name)
            line = f"source = {json.dumps(source, ensure_ascii=False)}\n"
        out.append(line)
    return "".join(out)


def render(model_path: Path = ROOT / "models" / "nhs_productivity.mdl") -> dict[Path, str]:
    """Each bundled profile's text with its sources taken from the model file."""
    model = ModelText.read(model_path)
    docs = {el.name: el.doc for _, _, elements in model.sectors for el in elements}
    files = {}
    for file, keep_note in [(ENGLAND, False)] + [(f, True) for f in DERIVED]:
        path = PROFILES / file
        files[path] = _rewrite(path.read_text(encoding="utf-8"), docs, keep_note, path)
    return files


def main() -> int:
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
