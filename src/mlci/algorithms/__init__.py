"""Built-in SageMaker algorithms, reimplemented to behave like their containers.

Each algorithm lives in its own subpackage (`xgboost/`) with one module per role: hyperparameter
validation, data reading, training, inference and serving. Nothing here imports `mlci.cloud`;
the cloud calls into these packages (directly or through their worker and serve processes).
"""
