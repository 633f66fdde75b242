from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xgboost

from mlci.algorithms.xgboost import logs
from mlci.algorithms.xgboost.spec import ChannelSpec

from .conftest import Trainer, csv_lines, synthetic_rows
from .sample_data import abalone_split, churn_split

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
ROUND = re.compile(r"^\[(\d+)\]#011train-rmse:\d+\.\d{5}#011validation-rmse:(\d+\.\d{5})$")
CONTAINER_LINE = re.compile(r"^\[\d{4}-\d{2}-\d{2}:\d{2}:\d{2}:\d{2}:(INFO|WARNING)\] \S")
WriteChannel = Callable[..., ChannelSpec]
Channels = dict[str, ChannelSpec]


def rounds(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[") and "#011" in line]


def test_abalone_libsvm_with_the_article_hyperparameters(trainer: Trainer, tmp_path: Path) -> None:
    paths = abalone_split().write(tmp_path / "abalone", "abalone")

    result = trainer.run(
        ARTICLE,
        {
            "train": ChannelSpec(str(paths["train"]), "text/libsvm"),
            "validation": ChannelSpec(str(paths["validation"]), "text/libsvm"),
        },
    )

    assert result.status == "Completed", result.failure_reason
    metrics = {m.name: m.value for m in result.final_metrics}
    assert list(metrics) == ["train:rmse", "validation:rmse"]
    assert metrics["validation:rmse"] < 2.6
    assert result.rounds_trained == 50
    per_round = rounds(trainer.lines)
    assert [ROUND.match(line).group(1) for line in per_round] == [str(i) for i in range(50)]  # type: ignore[union-attr]
    assert float(ROUND.match(per_round[-1]).group(2)) == metrics["validation:rmse"]  # type: ignore[union-attr]
    assert any(
        "reg:linear is now deprecated in favor of reg:squarederror" in x for x in trainer.lines
    )
    assert "Train matrix has 2923 rows and 9 columns" in "\n".join(trainer.lines)


def test_the_model_is_xgboost_ubjson_not_pickle(
    trainer: Trainer, tmp_path: Path, regression_csv: Channels
) -> None:
    result = trainer.run({"num_round": "3"}, regression_csv)

    model = Path(str(result.model_path))
    assert model == tmp_path / "model" / "xgboost-model"
    assert model.read_bytes()[:1] == b"{"  # UBJSON object; a pickle starts with 0x80
    booster = xgboost.Booster()
    booster.load_model(bytearray(model.read_bytes()))
    assert booster.num_boosted_rounds() == 3 and booster.num_features() == 4


def test_churn_csv_binary_classification_auc(trainer: Trainer, tmp_path: Path) -> None:
    paths = churn_split().write(tmp_path / "churn", "churn")

    result = trainer.run(
        {
            "num_round": "50",
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "max_depth": "5",
            "eta": "0.2",
        },
        {
            "train": ChannelSpec(str(paths["train"]), "text/csv"),
            "validation": ChannelSpec(str(paths["validation"]), "text/csv"),
        },
    )

    assert result.status == "Completed", result.failure_reason
    metrics = {m.name: m.value for m in result.final_metrics}
    assert metrics["validation:auc"] > 0.9
    assert "Determined delimiter of CSV input is ','" in "\n".join(trainer.lines)


def test_log_lines_are_in_cloudwatch_form(trainer: Trainer, regression_csv: Channels) -> None:
    trainer.run({"num_round": "4"}, regression_csv)

    per_round = rounds(trainer.lines)
    others = [line for line in trainer.lines if line not in per_round]
    assert len(per_round) == 4 and all(ROUND.match(line) for line in per_round)
    assert others and all(CONTAINER_LINE.match(line) for line in others)
    assert not any("\t" in line for line in trainer.lines)


def test_cloudwatch_escaping_and_evaluation_format() -> None:
    assert logs.cloudwatch("a\tb\x1bc") == "a#011b#033c"
    line = logs.evaluation(3, [("train", "rmse", 3.914), ("validation", "rmse", 3.957123)])
    assert line == "[3]#011train-rmse:3.91400#011validation-rmse:3.95712"


def test_early_stopping_watches_validation(trainer: Trainer, regression_csv: Channels) -> None:
    result = trainer.run(
        {"num_round": "2000", "early_stopping_rounds": "3", "eta": "0.5", "eval_metric": "rmse"},
        regression_csv,
    )

    assert result.status == "Completed"
    assert result.best_iteration is not None
    assert result.rounds_trained == result.best_iteration + 4 < 2000
    booster = xgboost.Booster()
    booster.load_model(bytearray(Path(str(result.model_path)).read_bytes()))
    assert booster.num_boosted_rounds() == result.best_iteration + 1


def test_early_stopping_needs_a_validation_channel(
    trainer: Trainer, regression_csv: Channels
) -> None:
    result = trainer.run(
        {"num_round": "5", "early_stopping_rounds": "2"}, {"train": regression_csv["train"]}
    )

    assert result.rounds_trained == 5 and result.best_iteration is None
    assert any(
        "WARNING] early_stopping_rounds needs a validation channel" in x for x in trainer.lines
    )
    assert [m.name for m in result.final_metrics] == ["train:rmse"]


def test_container_metrics_are_computed_and_logged(
    trainer: Trainer, write_channel: WriteChannel
) -> None:
    features, values = synthetic_rows(300, seed=3)
    text = "\n".join(csv_lines(features, (values > np.median(values)).astype(int))) + "\n"
    table = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.float32)
    labels, features = table[:, 0], table[:, 1:]
    channels = {"train": write_channel("train", text), "validation": write_channel("val", text)}

    result = trainer.run(
        {
            "num_round": "10",
            "objective": "binary:logistic",
            "eval_metric": "logloss,accuracy,f1,precision,recall",
        },
        {"train": channels["train"], "validation": channels["validation"]},
    )

    assert result.status == "Completed", result.failure_reason
    names = [m.name for m in result.final_metrics]
    assert names[:5] == [
        "train:logloss",
        "train:accuracy",
        "train:f1",
        "train:precision",
        "train:recall",
    ]
    booster = xgboost.Booster()
    booster.load_model(bytearray(Path(str(result.model_path)).read_bytes()))
    predicted = np.round(booster.inplace_predict(features))
    metrics = {m.name: m.value for m in result.final_metrics}
    assert metrics["validation:accuracy"] == pytest.approx(np.mean(predicted == labels), abs=1e-5)
    true_pos = np.sum((predicted == 1) & (labels == 1))
    assert metrics["validation:precision"] == pytest.approx(
        true_pos / np.sum(predicted == 1), abs=1e-5
    )
    assert metrics["validation:recall"] == pytest.approx(true_pos / np.sum(labels == 1), abs=1e-5)


def test_multiclass_with_num_class(trainer: Trainer, write_channel: WriteChannel) -> None:
    features, values = synthetic_rows(300, seed=4)
    labels = np.digitize(values, np.quantile(values, [1 / 3, 2 / 3]))
    channel = write_channel("train", "\n".join(csv_lines(features, labels)) + "\n")

    result = trainer.run(
        {
            "num_round": "5",
            "objective": "multi:softprob",
            "num_class": "3",
            "eval_metric": "mlogloss,merror,accuracy",
        },
        {"train": channel},
    )

    assert [m.name for m in result.final_metrics] == [
        "train:mlogloss",
        "train:merror",
        "train:accuracy",
    ]
    metrics = {m.name: m.value for m in result.final_metrics}
    assert metrics["train:accuracy"] == pytest.approx(1 - metrics["train:merror"], abs=1e-6)


def test_csv_weights_train(trainer: Trainer, write_channel: WriteChannel) -> None:
    channel = write_channel("train", "1,1,0.5\n0,3,0.1\n1,0.5,0.9\n0,2,0.2\n")

    result = trainer.run({"num_round": "2", "csv_weights": "1"}, {"train": channel})

    assert result.status == "Completed"
    assert "Train matrix has 4 rows and 1 columns" in "\n".join(trainer.lines)


def test_xgboost_warnings_go_to_the_log(trainer: Trainer, regression_csv: Channels) -> None:
    result = trainer.run({"num_round": "2", "predictor": "cpu_predictor"}, regression_csv)

    assert result.status == "Completed"
    assert any('Parameters: { "predictor" } are not used.' in line for line in trainer.lines)


def test_max_runtime_stops_the_job(trainer: Trainer, write_channel: WriteChannel) -> None:
    features, values = synthetic_rows(200, seed=5)
    channel = write_channel("train", "\n".join(csv_lines(features, values)) + "\n")

    result = trainer.run(
        {"num_round": "100000", "max_depth": "6"}, {"train": channel}, max_runtime_seconds=0.3
    )

    assert result.status == "Failed"
    assert result.secondary_status == "MaxRuntimeExceeded"
    assert result.failure_reason == "MaxRuntimeInSeconds exceeded"
    assert 0 < result.rounds_trained < 100000
    assert result.model_path is None


@pytest.mark.parametrize(
    ("hyperparameters", "channels", "reason"),
    [
        ({}, {"train"}, r"^Missing required hyperparameter: num_round$"),
        ({"num_round": "2", "etaa": "1"}, {"train"}, r"^Extraneous hyperparameter found: etaa"),
        ({"num_round": "2"}, {"validation"}, r"^Missing required channel: train$"),
        ({"num_round": "2"}, {"train", "test"}, r"^Extraneous channel found: test \(the XGBoost"),
        (
            {"num_round": "2"},
            {"train", "empty:validation"},
            r"^No data in validation channel path .*empty-validation$",
        ),
        ({"num_round": "2"}, {"empty:train"}, r"^No data in train channel path"),
        (
            {"num_round": "2"},
            {"header:train"},
            r"^CSV training data must not have a header row: "
            r"line 1 of file 'data' in the train channel is "
            r"'label,f1,f2,f3,f4'",
        ),
        (
            {"num_round": "2"},
            {"train", "narrow:validation"},
            r"^The validation channel has 3 feature columns but the train channel has 4$",
        ),
        (
            {"num_round": "2", "objective": "binary:logistic"},
            {"train"},
            r"^\[.*label must be in \(0, 1\) for logistic regression$",
        ),
        (
            {"num_round": "2", "updater": "distcol"},
            {"train"},
            r"^XGB train call failed with exception:\n .*Unknown tree updater distcol$",
        ),
    ],
)
def test_failures_report_the_reason(
    trainer: Trainer,
    write_channel: WriteChannel,
    regression_csv: dict[str, ChannelSpec],
    hyperparameters: dict[str, str],
    channels: set[str],
    reason: str,
) -> None:
    texts = {"empty": "", "header": "label,f1,f2,f3,f4\n1,2,3,4,5\n", "narrow": "1,2,3,4\n"}
    specs = {}
    for entry in channels:
        kind, _, name = entry.rpartition(":")
        if kind:
            specs[name] = write_channel(f"{kind}-{name}", texts[kind])
        else:
            specs[name] = regression_csv.get(name, regression_csv["train"])

    result = trainer.run(hyperparameters, specs)

    assert result.status == "Failed" and result.secondary_status == "Failed"
    assert re.search(reason, str(result.failure_reason))
    assert result.model_path is None


def test_unsupported_content_type_fails_the_job(trainer: Trainer, regression_csv: Channels) -> None:
    result = trainer.run(
        {"num_round": "2"}, {"train": ChannelSpec(regression_csv["train"].path, "image/png")}
    )

    assert result.failure_reason is not None
    assert result.failure_reason.startswith("image/png is not an accepted ContentType: csv,")


def test_failure_reasons_fit_describe_training_job(trainer: Trainer, tmp_path: Path) -> None:
    far_away = tmp_path.joinpath(*["y" * 200] * 6)

    result = trainer.run({"num_round": "1"}, {"train": ChannelSpec(str(far_away))})

    assert result.failure_reason is not None and len(result.failure_reason) == 1024


def test_result_json_round_trips(trainer: Trainer, regression_csv: Channels) -> None:
    from mlci.algorithms.xgboost.spec import TrainingResult

    result = trainer.run({"num_round": "2"}, regression_csv)

    assert TrainingResult.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_xgboost_prints_go_to_the_log_not_stdout(
    trainer: Trainer, regression_csv: Channels, capsys: pytest.CaptureFixture[str]
) -> None:
    result = trainer.run({"num_round": "2", "verbosity": "3"}, regression_csv)

    assert result.status == "Completed"
    assert any("DEBUG:" in line for line in trainer.lines)
    assert capsys.readouterr().out == ""


def test_spec_nthread_applies_when_the_hyperparameters_do_not_say(
    trainer: Trainer, regression_csv: Channels
) -> None:
    result = trainer.run({"num_round": "2", "verbosity": "3"}, regression_csv, nthread=1)

    assert result.status == "Completed"
    assert (
        any("nthread" in line and "1" in line for line in trainer.lines)
        or result.rounds_trained == 2
    )


def test_partial_lines_are_logged_when_the_writer_is_flushed() -> None:
    from mlci.algorithms.xgboost.training import _LineWriter

    lines: list[str] = []
    writer = _LineWriter(lines.append)
    writer.write("one\ttwo\nthr")
    assert lines == ["one#011two"]
    writer.flush()
    assert lines == ["one#011two", "thr"]


def test_spec_json_round_trip() -> None:
    from mlci.algorithms.xgboost.spec import TrainingSpec

    spec = TrainingSpec(
        {"train": ChannelSpec("/data/train", "text/csv")},
        {"num_round": "3"},
        "/out",
        max_runtime_seconds=60,
        nthread=2,
    )
    document = spec.to_json(result_path="/out/result.json")

    assert document["result_path"] == "/out/result.json"
    assert TrainingSpec.from_json(json.loads(json.dumps(document)), log=print) == spec
