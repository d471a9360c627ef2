"""``python -m sdmodels.cli``: the ``sdmodels`` command (as the background compile runs it)."""

from __future__ import annotations

from sdmodels.cli import main

if __name__ == "__main__":
    main()
