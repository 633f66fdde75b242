from __future__ import annotations

import pytest

from mlci.algorithms.errors import AlgorithmError
from mlci.algorithms.xgboost import hyperparameters
from mlci.algorithms.xgboost.hyperparameter_kinds import Interval

ARTICLE = {
    "objective": "reg:linear",
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.7",
    "verbosity": "2",
    "num_round": "50",
}


def test_article_hyperparameters_become_xgboost_params() -> None:
    config = hyperparameters.parse(ARTICLE)

    assert config.num_round == 50
    assert config.booster_params == {
        "objective": "reg:squarederror",
        "max_depth": 5,
        "eta": 0.2,
        "gamma": 4.0,
        "min_child_weight": 6.0,
        "subsample": 0.7,
        "verbosity": 2,
    }
    assert config.notices == ("reg:linear is now deprecated in favor of reg:squarederror.",)
    assert config.early_stopping_rounds is None and not config.csv_weights


def test_json_encoded_values_are_unquoted() -> None:
    # What SDK code paths that JSON-encode hyperparameters send.
    config = hyperparameters.parse({"num_round": '"10"', "objective": '"binary:logistic"'})

    assert config.num_round == 10
    assert config.booster_params["objective"] == "binary:logistic"


def test_integers_written_as_floats_are_integers() -> None:
    assert hyperparameters.parse({"num_round": "50.0"}).num_round == 50


def test_eval_metric_list_splits_native_and_container_metrics() -> None:
    config = hyperparameters.parse(
        {"num_round": "5", "objective": "binary:logistic", "eval_metric": "auc, accuracy,logloss"}
    )

    assert config.booster_params["eval_metric"] == ["auc", "logloss"]
    assert config.native_metrics == ("auc", "logloss")
    assert config.custom_metrics == ("accuracy",)


def test_tuning_objective_metric_is_added_to_the_metrics() -> None:
    config = hyperparameters.parse(
        {"num_round": "5", "_tuning_objective_metric": "validation:rmse", "eval_metric": "mae"}
    )

    assert config.native_metrics == ("mae", "rmse")
    assert "_tuning_objective_metric" not in config.booster_params


def test_aliases_map_to_the_container_names() -> None:
    config = hyperparameters.parse({"num_round": "5", "learning_rate": "0.1", "reg_alpha": "1"})

    assert config.booster_params == {"eta": 0.1, "alpha": 1.0}


def test_container_only_hyperparameters_stay_out_of_booster_params() -> None:
    config = hyperparameters.parse(
        {"num_round": "5", "early_stopping_rounds": "3", "csv_weights": "1", "nthread": "2",
         "save_model_on_termination": "false", "updater": "grow_colmaker,prune"}
    )  # fmt: skip

    assert config.early_stopping_rounds == 3 and config.csv_weights
    assert config.booster_params == {"nthread": 2, "updater": "grow_colmaker,prune"}


def test_constraints_are_passed_in_xgboost_string_form() -> None:
    config = hyperparameters.parse(
        {"num_round": "5", "tree_method": "hist", "monotone_constraints": "(1, 0, -1)",
         "interaction_constraints": "[[0, 1], [2]]"}
    )  # fmt: skip

    assert config.booster_params["monotone_constraints"] == "(1,0,-1)"
    assert config.booster_params["interaction_constraints"] == "[[0,1],[2]]"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, r"^Missing required hyperparameter: num_round$"),
        ({"num_round": "ten"}, r"Hyperparameter num_round: could not parse value 'ten'; "
                               r"expected an integer in \[1, \+inf\)"),
        ({"num_round": "5.5"}, r"num_round: could not parse value '5.5'"),
        ({"num_round": "0"}, r"Hyperparameter num_round: 0 is not in \[1, \+inf\)"),
        ({"num_round": "5", "eta": "1.5"}, r"Hyperparameter eta: 1.5 is not in \[0, 1\]"),
        ({"num_round": "5", "eta": "fast"}, r"Hyperparameter eta: could not parse value 'fast'; "
                                            r"expected a number in \[0, 1\]"),
        ({"num_round": "5", "eta": "nan"}, r"eta: could not parse value 'nan'"),
        ({"num_round": "5", "subsample": "0"}, r"Hyperparameter subsample: 0 is not in \(0, 1\]"),
        ({"num_round": "5", "booster": "forest"},
         r"Hyperparameter booster: 'forest' is not in \['gbtree', 'gblinear', 'dart'\]"),
        ({"num_round": "5", "objective": "reg:cubic"},
         r"Hyperparameter objective: 'reg:cubic' is not in \['binary:logistic'"),
        ({"num_round": "5", "max_dept": "3"},
         r"Extraneous hyperparameter found: max_dept \(did you mean max_depth\?\)\. "
         r"The XGBoost algorithm accepts: .*max_depth"),
        ({"num_round": "5", "eta": "0.1", "learning_rate": "0.2"},
         r"Hyperparameters eta and learning_rate are aliases of each other"),
        ({"num_round": "5", "eval_metric": "auc"},
         r"Metric 'auc' can only be applied for classification and ranking problems\."),
        ({"num_round": "5", "eval_metric": "rmse,bogus"},
         r"Hyperparameter eval_metric: value 'bogus' not in range \["),
        ({"num_round": "5", "eval_metric": "rmse,"}, r"eval_metric: 'rmse,' has an empty item"),
        ({"num_round": "5", "eval_metric": "error@high"},
         r"Threshold value 't' in 'error@t' expects float input\."),
        ({"num_round": "5", "eval_metric": "rmse@0.5"},
         r"Metric 'rmse@0.5' is not supported\. Parameter 'eval_metric' with customized"),
        ({"num_round": "5", "eval_metric": "<function f>"},
         r"User defined evaluation metric <function f> is not supported yet\."),
        ({"num_round": "5", "eval_metric": "aft-nloglik"},
         r"Metric 'aft-nloglik' can only be applied for 'survival:aft' objective\."),
        ({"num_round": "5", "objective": "multi:softprob"},
         r"Require input for parameter 'num_class' for multi-classification"),
        ({"num_round": "5", "num_class": "3"},
         r"Do not need to setup parameter 'num_class' for learning task other than"),
        ({"num_round": "5", "monotone_constraints": "(1,0)"},
         r"monotone_constraints can be used only when the tree_method parameter is set to "
         r"either 'exact' or 'hist'\."),
        ({"num_round": "5", "interaction_constraints": "[[0,1]]", "tree_method": "auto"},
         r"interaction_constraints can be used only when the tree_method"),
        ({"num_round": "5", "tree_method": "hist", "monotone_constraints": "(2,0)"},
         r"monotone_constraints: could not parse value '\(2,0\)'; expected a tuple of -1, 0"),
        ({"num_round": "5", "tree_method": "hist", "interaction_constraints": "[[a]]"},
         r"interaction_constraints: could not parse value '\[\[a\]\]'; expected a list of lists"),
        ({"num_round": "5", "updater": "grow_everything"},
         r"Hyperparameter updater: 'grow_everything' is not one of \['grow_colmaker'"),
        ({"num_round": "5", "_kfold": "5"},
         r"Hyperparameter _kfold: cross-validation training \(_kfold\) is not supported by mlci"),
        ({"num_round": "5", "use_dask_gpu_training": "true"},
         r"use_dask_gpu_training: Dask GPU training is not supported by mlci"),
        ({"num_round": "5", "save_model_on_termination": "yes"},
         r"save_model_on_termination: 'yes' is not in \['true', 'false'\]"),
    ],
)  # fmt: skip
def test_bad_hyperparameters_name_the_problem(given: dict[str, str], message: str) -> None:
    with pytest.raises(AlgorithmError, match=message):
        hyperparameters.parse(given)


def test_a_broken_json_quoted_value_is_taken_as_written() -> None:
    with pytest.raises(AlgorithmError, match=r"""could not parse value '"5'"""):
        hyperparameters.parse({"num_round": '"5'})
    with pytest.raises(AlgorithmError, match=r"""could not parse value '"\\\\q"'"""):
        hyperparameters.parse({"num_round": '"\\q"'})


def test_threshold_metrics() -> None:
    config = hyperparameters.parse(
        {"num_round": "5", "objective": "binary:logistic", "eval_metric": "error@0.7,auc"}
    )

    assert config.native_metrics == ("error@0.7", "auc")


def test_non_string_values_are_read_as_their_json_text() -> None:
    assert hyperparameters.parse({"num_round": 7}).num_round == 7


@pytest.mark.parametrize(
    ("interval", "text", "inside", "outside"),
    [
        (Interval(0, 1), "[0, 1]", [0, 0.5, 1], [-0.1, 1.1]),
        (Interval(0, 1, low_open=True), "(0, 1]", [0.5, 1], [0]),
        (Interval(1, 2, low_open=True, high_open=True), "(1, 2)", [1.5], [1, 2]),
        (Interval(low=1), "[1, +inf)", [1, 1e9], [0]),
        (Interval(high=0.5), "(-inf, 0.5]", [-1e9, 0.5], [0.6]),
    ],
)
def test_interval_membership_and_text(
    interval: Interval, text: str, inside: list[float], outside: list[float]
) -> None:
    assert str(interval) == text
    assert all(v in interval for v in inside)
    assert not any(v in interval for v in outside)
