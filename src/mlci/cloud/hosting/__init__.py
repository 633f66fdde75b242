"""Hosting: SageMaker endpoints served by real XGBoost model-server processes.

- `processes` starts and stops one model server (`mlci.algorithms.xgboost.serve`) per
  instance, tied to the cloud's life so none outlives it;
- `fleet` is the set of servers of one deployment (per production variant), started and
  health-checked together, with dead servers replaced;
- `router` picks a variant by weight (or TargetVariant) and a server within it, and counts
  requests in flight so an old fleet can be drained before it stops;
- `upstream` is the keep-alive HTTP client the runtime forwards invocations with;
- `artifacts` turns a model's container (image + ModelDataUrl in the cloud's S3) into a model
  directory a server can load;
- `deployer` orchestrates create / blue-green update / rollback / delete / restore.

The SageMaker API (`services/sagemaker/endpoints.py`) and the runtime (`services/runtime.py`)
are separate services; they share one `Hosting` per cloud home (`deployer.hosting_for`).
"""
