"""The sdmodels dashboard: ``panel serve dashboards/app.py`` (or ``sdmodels dashboard``).

Set ``SDMODELS_DASHBOARD_MODEL`` to serve another model file than the bundled NHS model.
"""

import os

from sdmodels.dashboard import create_app

create_app(os.environ.get("SDMODELS_DASHBOARD_MODEL") or None).servable()
