"""One SageMaker XGBoost training job: validate, read the channels, train, save the model.

`train(spec)` behaves like the container's algorithm mode: hyperparameters and channels are
validated first (fail fast), the `train` channel's content type applies to every channel, each
round's evaluation is logged (`[3]#011train-rmse:...#011validation-rmse:...`, see `logs`),
early stopping watches the validation set, and the booster is saved as `xgboost-model` in
XGBoost's own format (UBJSON, written atomically) — never pickled.

It returns a `TrainingResult` for anything the job's inputs got wrong; only bugs raise. While
it runs it redirects `sys.stdout` and the warnings machinery (process-wide) to capture
xgboost's messages into the log, so run concurrent jobs in separate processes (`worker`).
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xgboost

from mlci.algorithms.errors import AlgorithmError
from mlci.algorithms.xgboost import content_types, hyperparameters, logs, metrics
from mlci.algorithms.xgboost.data import Dataset, read_channel, widen
from mlci.algorithms.xgboost.spec import MODEL_NAME, FinalMetric, TrainingResult, TrainingSpec
from mlci.files import write_atomically

CHANNELS = ("train", "validation")
FAILURE_REASON_LIMIT = 1024  # DescribeTrainingJob.FailureReason is at most this long
# xgboost messages that mean "your data or settings", passed on without the generic prefix.
CUSTOMER_ERRORS = (
    "label must be in",  # [0,1] / (0, 1) for logistic regression, [0, num_class) for multi:*
    "base_score must be in (0,1)",
    "AUC: the dataset only contains pos or neg samples",
    "label must be nonnegative",
    "Parameter reg_lambda should be greater equal to 0",
)


class MaxRuntimeExceeded(Exception):
    """Raised between rounds once the job has used up MaxRuntimeInSeconds."""


def train(spec: TrainingSpec) -> TrainingResult:
    started = time.monotonic()
    job = _Job(spec, started)
    try:
        return job.run()
    except AlgorithmError as error:
        return job.finish("Failed", "Failed", error.message)
    except MaxRuntimeExceeded:
        return job.finish("Failed", "MaxRuntimeExceeded", "MaxRuntimeInSeconds exceeded")


class _Job:
    def __init__(self, spec: TrainingSpec, started: float) -> None:
        self.spec = spec
        self.started = started
        self.deadline = started + spec.max_runtime_seconds if spec.max_runtime_seconds else None
        self.monitor = _Monitor(spec.log, self.check_deadline)

    def log(self, message: str, level: str = "INFO") -> None:
        self.spec.log(logs.container(message, level))

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise MaxRuntimeExceeded

    def run(self) -> TrainingResult:
        self.log(f"Running the SageMaker XGBoost algorithm (mlci, xgboost {xgboost.__version__})")
        config = hyperparameters.parse(self.spec.hyperparameters)
        for notice in config.notices:
            self.log(notice, "WARNING")
        train_set, validation_set = self._read_channels(config.csv_weights)
        self.check_deadline()
        self.log("Single node training.")
        self.log(f"Train matrix has {train_set.n_rows} rows and {train_set.n_columns} columns")
        if validation_set is not None:
            self.log(f"Validation matrix has {validation_set.n_rows} rows")
        with _captured_messages(self.spec.log):
            booster = self._fit(config, train_set, validation_set)
            model = bytes(booster.save_raw(raw_format="ubj"))
            best = _best_iteration(booster)
            del booster  # with verbosity 3 its destructor prints timings: keep them in the log
        model_path = Path(self.spec.model_dir) / MODEL_NAME
        write_atomically(model_path, model)
        return self.finish("Completed", "Completed", None, str(model_path), best)

    def finish(
        self,
        status: Any,
        secondary: str,
        reason: str | None,
        model_path: str | None = None,
        best: int | None = None,
    ) -> TrainingResult:
        return TrainingResult(
            status=status,
            secondary_status=secondary,
            failure_reason=reason[:FAILURE_REASON_LIMIT] if reason else None,
            final_metrics=self.monitor.final_metrics(),
            model_path=model_path,
            rounds_trained=self.monitor.rounds,
            best_iteration=best,
            training_seconds=round(time.monotonic() - self.started, 3),
        )

    def _read_channels(self, csv_weights: bool) -> tuple[Dataset, Dataset | None]:
        channels = self.spec.channels
        if "train" not in channels:
            raise AlgorithmError("Missing required channel: train")
        for name in channels:
            if name not in CHANNELS:
                raise AlgorithmError(
                    f"Extraneous channel found: {name} (the XGBoost algorithm reads 'train' "
                    "and 'validation')"
                )
        data_format = content_types.training_format(channels["train"].content_type)
        found = {}
        for name in [n for n in CHANNELS if n in channels]:
            path = Path(channels[name].path)
            dataset = read_channel(name, path, data_format, csv_weights)
            if dataset is None:
                raise AlgorithmError(f"No data in {name} channel path {path}")
            if dataset.delimiter is not None:
                self.log(f"Determined delimiter of CSV input is '{dataset.delimiter}'")
            found[name] = dataset
        return _aligned(found["train"], found.get("validation"))

    def _fit(
        self, config: hyperparameters.TrainingConfig, train_set: Dataset, valid: Dataset | None
    ) -> xgboost.Booster:
        params = dict(config.booster_params)
        if self.spec.nthread and "nthread" not in params:
            params["nthread"] = self.spec.nthread
        nthread = int(str(params.get("nthread", 0)))
        callbacks: list[xgboost.callback.TrainingCallback] = [self.monitor]
        stopper = self._early_stopping(config, valid is not None)
        if stopper is not None:
            callbacks.append(stopper)
        custom = _custom_metric(config.custom_metrics) if config.custom_metrics else None
        try:
            dtrain = _dmatrix(train_set, nthread)
            evals = [(dtrain, "train")]
            if valid is not None:
                evals.append((_dmatrix(valid, nthread), "validation"))
            return xgboost.train(
                params,
                dtrain,
                num_boost_round=config.num_round,
                evals=evals,
                custom_metric=custom,
                callbacks=callbacks,
                verbose_eval=False,
            )
        except xgboost.core.XGBoostError as error:
            raise AlgorithmError(_xgboost_failure(error)) from None

    def _early_stopping(
        self, config: hyperparameters.TrainingConfig, has_validation: bool
    ) -> xgboost.callback.EarlyStopping | None:
        if config.early_stopping_rounds is None:
            return None
        if not has_validation:
            self.log("early_stopping_rounds needs a validation channel; it is ignored", "WARNING")
            return None
        requested = [*config.native_metrics, *config.custom_metrics]
        metric = requested[-1] if requested else None
        return xgboost.callback.EarlyStopping(
            rounds=config.early_stopping_rounds,
            metric_name=metric,
            data_name="validation",
            maximize=metrics.maximize(metric) if metric else None,
            save_best=True,
        )


class _Monitor(xgboost.callback.TrainingCallback):
    """Logs each round like XGBoost's EvaluationMonitor and remembers the last scores."""

    def __init__(self, log: Callable[[str], None], check_deadline: Callable[[], None]) -> None:
        super().__init__()
        self.log = log
        self.check_deadline = check_deadline
        self.rounds = 0
        self.last: list[tuple[str, str, float]] = []

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.last = [
            (data, metric, float(values[-1]))
            for data, by_metric in evals_log.items()
            for metric, values in by_metric.items()
        ]
        self.rounds = epoch + 1
        self.log(logs.evaluation(epoch, self.last))
        self.check_deadline()
        return False

    def final_metrics(self) -> tuple[FinalMetric, ...]:
        # SageMaker fills FinalMetricDataList by matching the log lines, so each metric's value
        # is its last logged one, with the log's five decimals.
        return tuple(
            FinalMetric(f"{data}:{metric}", float(f"{value:.5f}"))
            for data, metric, value in self.last
        )


def _aligned(train_set: Dataset, validation: Dataset | None) -> tuple[Dataset, Dataset | None]:
    if validation is None:
        return train_set, None
    if train_set.delimiter is not None and validation.n_columns != train_set.n_columns:
        raise AlgorithmError(
            f"The validation channel has {validation.n_columns} feature columns but the train "
            f"channel has {train_set.n_columns}"
        )
    width = max(train_set.n_columns, validation.n_columns)
    return widen(train_set, width), widen(validation, width)


def _dmatrix(dataset: Dataset, nthread: int) -> xgboost.DMatrix:
    return xgboost.DMatrix(
        dataset.features,
        label=dataset.labels,
        weight=dataset.weights,
        missing=np.nan,
        nthread=nthread or None,
    )


def _custom_metric(names: tuple[str, ...]) -> Callable[[np.ndarray, xgboost.DMatrix], Any]:
    def evaluate(predictions: np.ndarray, dmatrix: xgboost.DMatrix) -> list[tuple[str, float]]:
        return metrics.compute_custom(names, dmatrix.get_label(), predictions)

    return evaluate


def _best_iteration(booster: xgboost.Booster) -> int | None:
    attribute = booster.attr("best_iteration")
    return int(attribute) if attribute is not None else None


def _xgboost_failure(error: Exception) -> str:
    message = str(error).split("Stack trace:", 1)[0].strip()
    if any(known in message for known in CUSTOMER_ERRORS):
        return message
    return f"XGB train call failed with exception:\n {message}"


@contextlib.contextmanager
def _captured_messages(log: Callable[[str], None]) -> Any:
    """Route xgboost's warnings (warnings.warn) and INFO prints (stdout) into the job log."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        for line in str(message).strip().splitlines():
            if line.strip():
                log(logs.cloudwatch(line))

    sink = _LineWriter(log)
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink):
        warnings.simplefilter("always")
        warnings.showwarning = show
        try:
            yield
        finally:
            sink.flush()


class _LineWriter(io.TextIOBase):
    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__()
        self.log = log
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *complete, self.pending = self.pending.split("\n")
        for line in complete:
            if line.strip():
                self.log(logs.cloudwatch(line))
        return len(text)

    def flush(self) -> None:
        if self.pending.strip():
            self.log(logs.cloudwatch(self.pending))
        self.pending = ""
