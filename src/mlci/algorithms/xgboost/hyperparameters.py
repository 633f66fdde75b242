"""SageMaker XGBoost hyperparameters -> the arguments of `xgboost.train`.

The table below mirrors the hyperparameters the SageMaker XGBoost container (images 1.5-1 to
1.7-1) declares: same names, types and ranges, same aliases (`learning_rate` for `eta`, ...).
Values arrive as strings, exactly as in `CreateTrainingJob`. The generic SageMaker SDK
`Estimator` sends `str(value)` ("5", "0.2", "reg:linear"); SDK code paths that JSON-encode
hyperparameters send '"reg:linear"' — one layer of JSON string quoting is therefore removed
first (the container itself would reject such values; accepting them is deliberate).

What is not an xgboost booster parameter (`num_round`, `early_stopping_rounds`, `csv_weights`,
...) is taken out; everything else is passed to xgboost unchanged, except the legacy objective
`reg:linear`, which becomes `reg:squarederror` (what XGBoost itself maps it to).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from mlci.algorithms.errors import AlgorithmError
from mlci.algorithms.xgboost import metrics
from mlci.algorithms.xgboost.hyperparameter_kinds import (
    Categorical,
    CommaSeparated,
    Constraints,
    Continuous,
    Integer,
    Interval,
    Kind,
)

OBJECTIVES = (
    "binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson",
    "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map",
    "reg:linear", "reg:squarederror", "reg:logistic", "reg:gamma", "reg:pseudohubererror",
    "reg:squaredlogerror", "reg:absoluteerror", "reg:tweedie", "survival:aft", "survival:cox",
)  # fmt: skip
LEGACY_OBJECTIVES = {"reg:linear": "reg:squarederror"}
UPDATERS = (
    "grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_skmaker",
    "grow_quantile_histmaker", "sync", "refresh", "prune", "shotgun", "coord_descent",
)  # fmt: skip
TRUE_FALSE = Categorical(("true", "false"))
NON_NEGATIVE = Interval(low=0)
FRACTION = Interval(0, 1, low_open=True)
UNIT = Interval(0, 1)


def _updater_problem(item: str) -> str | None:
    return None if item in UPDATERS else f"{item!r} is not one of {list(UPDATERS)}"


SPECS: dict[str, Kind] = {
    "num_round": Integer(Interval(low=1)),
    "csv_weights": Integer(Interval(0, 1)),
    "early_stopping_rounds": Integer(Interval(low=1)),
    "booster": Categorical(("gbtree", "gblinear", "dart")),
    "verbosity": Integer(Interval(0, 3)),
    "nthread": Integer(Interval(low=1)),
    "eta": Continuous(UNIT),
    "gamma": Continuous(NON_NEGATIVE),
    "max_depth": Integer(NON_NEGATIVE),
    "min_child_weight": Continuous(NON_NEGATIVE),
    "max_delta_step": Continuous(NON_NEGATIVE),
    "subsample": Continuous(FRACTION),
    "colsample_bytree": Continuous(FRACTION),
    "colsample_bylevel": Continuous(FRACTION),
    "colsample_bynode": Continuous(FRACTION),
    "lambda": Continuous(NON_NEGATIVE),
    "alpha": Continuous(NON_NEGATIVE),
    "tree_method": Categorical(("auto", "exact", "approx", "hist", "gpu_hist")),
    "sketch_eps": Continuous(Interval(0, 1, low_open=True, high_open=True)),
    "scale_pos_weight": Continuous(Interval(low=0, low_open=True)),
    "updater": CommaSeparated(_updater_problem),
    "dsplit": Categorical(("row", "col")),
    "refresh_leaf": Integer(Interval(0, 1)),
    "process_type": Categorical(("default", "update")),
    "grow_policy": Categorical(("depthwise", "lossguide")),
    "max_leaves": Integer(NON_NEGATIVE),
    "max_bin": Integer(NON_NEGATIVE),
    "predictor": Categorical(("auto", "cpu_predictor", "gpu_predictor")),
    "monotone_constraints": Constraints(nested=False),
    "interaction_constraints": Constraints(nested=True),
    "sample_type": Categorical(("uniform", "weighted")),
    "normalize_type": Categorical(("tree", "forest")),
    "rate_drop": Continuous(UNIT),
    "one_drop": Integer(Interval(0, 1)),
    "skip_drop": Continuous(UNIT),
    "lambda_bias": Continuous(UNIT),
    "tweedie_variance_power": Continuous(Interval(1, 2, low_open=True, high_open=True)),
    "objective": Categorical(OBJECTIVES),
    "num_class": Integer(Interval(low=2)),
    "base_score": Continuous(NON_NEGATIVE),
    "eval_metric": CommaSeparated(metrics.eval_metric_problem),
    "_tuning_objective_metric": Categorical(metrics.TUNING_METRIC_NAMES),
    "_kfold": Integer(Interval(low=2)),
    "_num_cv_round": Integer(Interval(low=1)),
    "seed": Integer(Interval(-(2**31), 2**31 - 1, low_open=True, high_open=True)),
    "num_parallel_tree": Integer(Interval(low=1)),
    "save_model_on_termination": TRUE_FALSE,
    "aft_loss_distribution": Categorical(("normal", "logistic", "extreme")),
    "aft_loss_distribution_scale": Continuous(NON_NEGATIVE),
    "single_precision_histogram": TRUE_FALSE,
    "deterministic_histogram": TRUE_FALSE,
    "sampling_method": Categorical(("uniform", "gradient_based")),
    "prob_buffer_row": Continuous(Interval(low=1, low_open=True)),
    "max_cat_to_onehot": Integer(Interval(low=1)),
    "use_dask_gpu_training": TRUE_FALSE,
}
ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda",
           "reg_alpha": "alpha"}  # fmt: skip
# Hyperparameters the container reads itself; they never reach xgboost's params.
CONTAINER_ONLY = (
    "num_round", "csv_weights", "early_stopping_rounds", "eval_metric",
    "_tuning_objective_metric", "save_model_on_termination", "use_dask_gpu_training",
)  # fmt: skip
# Container features that need machinery mlci does not have (k-fold CV, Dask on GPUs).
UNSUPPORTED = {
    "_kfold": "cross-validation training (_kfold) is not supported by mlci",
    "_num_cv_round": "cross-validation training (_num_cv_round) is not supported by mlci",
}


@dataclass(frozen=True)
class TrainingConfig:
    """Validated hyperparameters, split the way `xgboost.train` wants them."""

    booster_params: dict[str, object]
    num_round: int
    early_stopping_rounds: int | None
    native_metrics: tuple[str, ...]  # computed by xgboost (also in booster_params)
    custom_metrics: tuple[str, ...]  # computed by mlci, as the container computes them
    csv_weights: bool
    notices: tuple[str, ...]  # warnings to show in the training log


def parse(raw_hyperparameters: Mapping[str, object]) -> TrainingConfig:
    """Validate SageMaker hyperparameters; raise AlgorithmError naming the first bad one."""
    values = _parse_each(_canonical_names(raw_hyperparameters))
    if "num_round" not in values:
        raise AlgorithmError("Missing required hyperparameter: num_round")
    _check_dependencies(values)
    return _to_config(values)


def _canonical_names(raw: Mapping[str, object]) -> dict[str, str]:
    named: dict[str, str] = {}
    for name, value in raw.items():
        canonical = ALIASES.get(name, name)
        if canonical not in SPECS:
            raise AlgorithmError(_extraneous_message(name))
        if canonical in named:
            raise AlgorithmError(
                f"Hyperparameters {canonical} and {name} are aliases of each other; give one"
            )
        named[canonical] = _unquote(value)
    return named


def _extraneous_message(name: str) -> str:
    close = difflib.get_close_matches(name, [*SPECS, *ALIASES], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"Extraneous hyperparameter found: {name}{hint}. The XGBoost algorithm accepts: "
        + ", ".join(sorted(n for n in [*SPECS, *ALIASES] if not n.startswith("_")))
    )


def _unquote(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def _parse_each(named: dict[str, str]) -> dict[str, object]:
    for name in named:
        if name in UNSUPPORTED:
            raise AlgorithmError(f"Hyperparameter {name}: {UNSUPPORTED[name]}")
    values = {name: SPECS[name].parse(name, raw) for name, raw in named.items()}
    if values.get("use_dask_gpu_training") == "true":
        raise AlgorithmError(
            "Hyperparameter use_dask_gpu_training: Dask GPU training is not supported by mlci"
        )
    return values


def _check_dependencies(values: dict[str, object]) -> None:
    objective = str(values.get("objective", "reg:squarederror"))
    if objective.startswith("multi:") and "num_class" not in values:
        raise AlgorithmError("Require input for parameter 'num_class' for multi-classification")
    if "objective" not in values and "num_class" in values:
        raise AlgorithmError(
            "Do not need to setup parameter 'num_class' for learning task other than "
            "multi-classification."
        )
    metric_names = [*_tuple(values.get("eval_metric")), *_tuning_metric(values)]
    problem = metrics.objective_problem(metric_names, objective)
    if problem is not None:
        raise AlgorithmError(problem)
    _check_constraints(values)


def _check_constraints(values: dict[str, object]) -> None:
    tree_method = values.get("tree_method")
    if "monotone_constraints" in values and tree_method not in ("exact", "hist"):
        raise AlgorithmError(
            "monotone_constraints can be used only when the tree_method parameter is set to "
            "either 'exact' or 'hist'."
        )
    if "interaction_constraints" in values and tree_method not in ("exact", "hist", "approx"):
        raise AlgorithmError(
            "interaction_constraints can be used only when the tree_method parameter is set to "
            "either 'exact', 'hist' or 'approx'."
        )


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else ()


def _tuning_metric(values: dict[str, object]) -> tuple[str, ...]:
    # "validation:auc" names the metric the tuner optimises; the container adds it to the list.
    tuning = values.get("_tuning_objective_metric")
    return (str(tuning).split(":", 1)[1],) if tuning else ()


def _to_config(values: dict[str, object]) -> TrainingConfig:
    notices: list[str] = []
    objective = values.get("objective")
    if isinstance(objective, str) and objective in LEGACY_OBJECTIVES:
        values["objective"] = LEGACY_OBJECTIVES[objective]
        notices.append(f"{objective} is now deprecated in favor of {LEGACY_OBJECTIVES[objective]}.")
    requested = list(dict.fromkeys([*_tuple(values.get("eval_metric")), *_tuning_metric(values)]))
    native = tuple(m for m in requested if not metrics.is_custom(m))
    custom = tuple(m for m in requested if metrics.is_custom(m))
    params = {k: v for k, v in values.items() if k not in CONTAINER_ONLY}
    if "updater" in params:
        params["updater"] = ",".join(_tuple(params["updater"]))
    if native:
        params["eval_metric"] = list(native)
    rounds = values.get("early_stopping_rounds")
    return TrainingConfig(
        booster_params=params,
        num_round=int(str(values["num_round"])),
        early_stopping_rounds=int(str(rounds)) if rounds is not None else None,
        native_metrics=native,
        custom_metrics=custom,
        csv_weights=values.get("csv_weights") == 1,
        notices=tuple(notices),
    )
