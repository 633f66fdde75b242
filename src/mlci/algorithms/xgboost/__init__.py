"""The SageMaker built-in XGBoost algorithm (container images 1.5-1 ... 1.7-1), on local files.

- `hyperparameters` validates SageMaker's string hyperparameters,
- `data` reads the `train` / `validation` channels (text/csv label-first, text/libsvm),
- `training.train(spec)` trains, logs like the container and writes `xgboost-model`,
- `worker` runs one training job in its own process, forked by `zygote` in the cloud,
- `inference.Predictor` answers `/invocations` bodies the way the container does,
- `serve` is the container's HTTP contract (`GET /ping`, `POST /invocations`) as an ASGI app.

Importing this package is cheap; xgboost is imported only by the modules that train or predict.
"""
