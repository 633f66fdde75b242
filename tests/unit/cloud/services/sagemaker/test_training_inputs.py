"""The pure parts of running a training job: URIs, images, channel paths, manifests, outputs,
failure wording, settings and log forms."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlci.cloud.errors import AwsError
from mlci.cloud.services.sagemaker import training_outputs
from mlci.cloud.services.sagemaker.training_inputs import (
    JobFailure,
    S3Location,
    channel_path,
    check_image,
    folder_of,
    image_repository,
    manifest_entries,
    parse_s3_uri,
)
from mlci.cloud.services.sagemaker.training_jobs import Settings
from mlci.cloud.services.sagemaker.training_logs import cloudwatch_form, stream_name
from mlci.cloud.services.sagemaker.training_runner import algorithm_failure


def test_s3_uris_split_into_bucket_and_key() -> None:
    assert parse_s3_uri("s3://b/a/b/", "f") == S3Location("b", "a/b/")
    assert parse_s3_uri("s3://b", "f") == S3Location("b", "")
    assert parse_s3_uri("s3://b/x", "f").uri == "s3://b/x"
    for bad in ("https://b.s3.amazonaws.com/x", "b/x", "s3:///x"):
        with pytest.raises(AwsError, match=r"at 'Field\.Name' is not an S3 URI") as caught:
            parse_s3_uri(bad, "Field.Name")
        assert caught.value.code == "ValidationException"


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1",
            "sagemaker-xgboost",
        ),
        ("sagemaker-xgboost", "sagemaker-xgboost"),
        ("localhost:5000/a/b/sagemaker-xgboost@sha256:00ff", "sagemaker-xgboost"),
        ("localhost:5000/sagemaker-xgboost-extra:1", "sagemaker-xgboost-extra"),
        ("sagemaker-xgboost/other:1", "other"),
    ],
)
def test_the_repository_is_the_last_path_component_without_tag_or_digest(
    image: str, repository: str
) -> None:
    assert image_repository(image) == repository


def test_only_sagemaker_xgboost_images_run() -> None:
    check_image("any.registry/sagemaker-xgboost:latest")
    for image in ("pytorch-training:2.1", "sagemaker-xgboost-extra:1", None):
        with pytest.raises(JobFailure, match="runs the built-in XGBoost algorithm only"):
            check_image(image)


def test_channel_paths_are_relative_to_the_prefixs_folder() -> None:
    assert channel_path("data/train/", "data/train/part-1.csv") == PurePosixPath("part-1.csv")
    assert channel_path("data/", "data/train.csv") == PurePosixPath("train.csv")
    assert channel_path("", "deep/a/b.csv") == PurePosixPath("deep/a/b.csv")
    assert folder_of("data/train") == "data/"
    assert folder_of("train.csv") == ""


def test_folder_markers_and_empty_names_make_no_file() -> None:
    assert channel_path("data/", "data/sub/") is None
    assert channel_path("data/", "data/") is None
    assert channel_path("data/", "data///a") == PurePosixPath("a")


def test_navigation_components_and_unholdable_names_are_escaped() -> None:
    assert channel_path("p/", "p/../x") == PurePosixPath("%2E%2E/x")
    assert channel_path("p/", "p/./x") == PurePosixPath("%2E/x")
    assert channel_path("p/", "p/a%2E%2E") == PurePosixPath("a%252E%252E")
    assert channel_path("p/", "p/nul\x00name") == PurePosixPath("nul%00name")
    long = channel_path("p/", "p/" + "é" * 300)
    assert long is not None and len(long.name.encode()) <= 255


@given(st.text(min_size=1, max_size=300))
def test_no_key_names_a_path_outside_its_channel(suffix: str) -> None:
    found = channel_path("p/", "p/" + suffix)
    if found is None:
        return
    assert not found.is_absolute()
    assert all(part not in ("..", ".", "") and "\x00" not in part for part in found.parts)
    assert all(len(part.encode("utf-8")) <= 255 for part in found.parts)


def test_a_manifest_lists_keys_under_its_prefix() -> None:
    data = json.dumps([{"prefix": "s3://b/p/"}, "a.csv", "d/b.csv"]).encode()
    assert manifest_entries(data, "s3://b/m") == (S3Location("b", "p/"), ["a.csv", "d/b.csv"])


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (b"{not json", "it is not JSON"),
        (b'{"prefix": "s3://b/"}', "its first element must be"),
        (b"[]", "its first element must be"),
        (b'[{"prefix": "b/p/"}, "a"]', "is not an s3:// URI"),
        (b'[{"prefix": "s3://b/"}, ""]', "is not a relative key"),
        (b'[{"prefix": "s3://b/"}]', "it lists no objects"),
    ],
)
def test_malformed_manifests_say_what_is_wrong(document: bytes, why: str) -> None:
    with pytest.raises(
        JobFailure, match="ClientError: The manifest file s3://b/m is not valid"
    ) as e:
        manifest_entries(document, "s3://b/m")
    assert why in str(e.value)


def test_model_locations_follow_the_output_path() -> None:
    assert training_outputs.model_location({"S3OutputPath": "s3://b/out/"}, "j").uri == (
        "s3://b/out/j/output/model.tar.gz"
    )
    assert training_outputs.model_location({"S3OutputPath": "s3://b"}, "j").uri == (
        "s3://b/j/output/model.tar.gz"
    )
    loose = {"S3OutputPath": "s3://b/o", "CompressionType": "NONE"}
    assert training_outputs.model_location(loose, "j").uri == "s3://b/o/j/output/model/"


def test_failures_are_worded_as_client_or_algorithm_errors() -> None:
    assert algorithm_failure("Missing required hyperparameter: num_round") == (
        "ClientError: Missing required hyperparameter: num_round"
    )
    assert algorithm_failure("XGB train call failed with exception:\n x").startswith(
        "AlgorithmError: XGB train call failed"
    )
    assert algorithm_failure("internal error: boom") == "AlgorithmError: internal error: boom"
    assert algorithm_failure("AlgorithmError: already") == "AlgorithmError: already"
    assert algorithm_failure(None).startswith("ClientError: the training process failed")


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_environment(
        {
            "MLCI_TRAINING_SYNC_SECONDS": "2.5",
            "MLCI_TRAINING_SLOTS": "3",
            "MLCI_TRAINING_WARM_WORKER": "0",
        }
    )
    assert settings == Settings(sync_seconds=2.5, slots=3, warm_worker=False)
    defaults = Settings.from_environment({})
    assert defaults.sync_seconds == 30 and defaults.slots >= 1 and defaults.warm_worker
    with pytest.raises(ValueError, match="MLCI_TRAINING_SYNC_SECONDS='soon' is not a number"):
        Settings.from_environment({"MLCI_TRAINING_SYNC_SECONDS": "soon"})
    with pytest.raises(ValueError, match="MLCI_TRAINING_SLOTS='0' must be at least 1"):
        Settings.from_environment({"MLCI_TRAINING_SLOTS": "0"})


def test_log_lines_and_streams_take_sagemakers_forms() -> None:
    assert cloudwatch_form("[0]\ttrain-rmse:1.0\r") == "[0]#011train-rmse:1.0#015"
    assert cloudwatch_form("[0]#011already") == "[0]#011already"
    assert stream_name("my-job", 1700000000.9) == "my-job/algo-1-1700000000"
