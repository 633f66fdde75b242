from __future__ import annotations

import subprocess
import sys

CHECK = (
    "import sys\n"
    "from mlci.algorithms.xgboost.process import skip_unused_xgboost_integrations\n"
    "skip_unused_xgboost_integrations()\n"
    "import xgboost.compat\n"
    "print(xgboost.compat.SKLEARN_INSTALLED, 'pandas' in sys.modules)\n"
)


def test_worker_and_server_processes_load_xgboost_without_scikit_learn() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )

    assert finished.stdout.split() == ["False", "False"]
