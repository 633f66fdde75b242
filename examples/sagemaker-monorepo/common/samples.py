"""SageMaker's public sample bucket, where the example datasets are read from."""

from __future__ import annotations

import os

# The public bucket AWS publishes the example datasets in; SAMPLE_BUCKET points elsewhere
# (e.g. a mirror in one's own account).
SAMPLE_BUCKET = os.environ.get("SAMPLE_BUCKET", "sagemaker-sample-files")
