"""Set-up for processes that exist only to train or serve XGBoost (worker, serve).

xgboost imports scikit-learn when it is installed, only to offer its sklearn-style estimators,
and scikit-learn pulls in pandas and pyarrow. mlci uses the Booster API alone, so in its own
single-purpose processes that import is pure cost: measured here, `import xgboost` takes about
4 s and 195 MB with scikit-learn installed, 0.8 s and 61 MB without. Marking the module as
absent in `sys.modules` (Python's documented way to make an import fail) makes xgboost take
its no-sklearn path. Never call this in a process that may want scikit-learn itself.
"""

from __future__ import annotations

import sys

UNUSED_XGBOOST_INTEGRATIONS = ("sklearn",)


def skip_unused_xgboost_integrations() -> None:
    """Call before the first `import xgboost` of a worker or model-server process."""
    for name in UNUSED_XGBOOST_INTEGRATIONS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
