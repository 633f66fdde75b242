"""Model containers -> what to serve, and model files fetched from the cloud's S3 safely."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlci.cloud.hosting.artifacts import DeploymentFailed, fetch, image_repository, model_source
from mlci.cloud.hosting.processes import exit_reason
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.s3.records import Bucket

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[S3Access]:
    (tmp_path / "home").mkdir()
    access = S3Access(tmp_path / "home")
    access.objects.create_bucket(Bucket("models", "us-east-1", time.time()))
    yield access
    access.close()


def _put(s3: S3Access, tmp_path: Path, key: str, data: bytes) -> None:
    source = tmp_path / "upload"
    source.write_bytes(data)
    s3.put_file("models", key, source)


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        (IMAGE, "sagemaker-xgboost"),
        ("sagemaker-xgboost:1.7-1", "sagemaker-xgboost"),
        ("registry.local:5000/team/sagemaker-xgboost@sha256:abc", "sagemaker-xgboost"),
        ("123.dkr.ecr.us-east-1.amazonaws.com/xgboost-custom:1", "xgboost-custom"),
    ],
)
def test_image_repository(image: str, repository: str) -> None:
    assert image_repository(image) == repository


def test_a_model_data_url_or_data_source_is_what_is_served() -> None:
    source = model_source([{"Image": IMAGE, "ModelDataUrl": "s3://models/m/model.tar.gz"}])
    assert (source.uri, source.prefix, source.compressed) == (
        "s3://models/m/model.tar.gz",
        False,
        True,
    )
    uncompressed = {"S3Uri": "s3://models/m/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    source = model_source([{"Image": IMAGE, "ModelDataSource": {"S3DataSource": uncompressed}}])
    assert (source.uri, source.prefix, source.compressed) == ("s3://models/m/", True, False)


@pytest.mark.parametrize(
    ("containers", "reason"),
    [
        ([], "has 0 containers"),
        ([{"Image": IMAGE}, {"Image": IMAGE}], "inference pipelines are not supported"),
        (
            [{"Image": "my-torch:2", "ModelDataUrl": "s3://m/x"}],
            "image 'my-torch:2' is not a 'sagemaker-xgboost'",
        ),
        ([{"Image": IMAGE}], "has no ModelDataUrl or ModelDataSource"),
    ],
)
def test_containers_that_cannot_be_served(containers: list[dict[str, object]], reason: str) -> None:
    with pytest.raises(DeploymentFailed, match=reason):
        model_source(containers)


def test_a_model_tarball_is_unpacked(s3: S3Access, tmp_path: Path) -> None:
    _put(
        s3, tmp_path, "m/model.tar.gz", _tarball({"xgboost-model": b"{}", "extra/notes.txt": b"x"})
    )
    destination = tmp_path / "served"
    fetch(
        s3,
        model_source([{"Image": IMAGE, "ModelDataUrl": "s3://models/m/model.tar.gz"}]),
        destination,
    )
    assert (destination / "xgboost-model").read_bytes() == b"{}"
    assert (destination / "extra" / "notes.txt").read_bytes() == b"x"


def test_an_uncompressed_prefix_is_copied_object_by_object(s3: S3Access, tmp_path: Path) -> None:
    _put(s3, tmp_path, "m/v1/xgboost-model", b"model")
    _put(s3, tmp_path, "m/v1/sub/config.json", b"{}")
    _put(s3, tmp_path, "m/v2/xgboost-model", b"other")
    data = {"S3Uri": "s3://models/m/v1/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    destination = tmp_path / "served"
    fetch(
        s3, model_source([{"Image": IMAGE, "ModelDataSource": {"S3DataSource": data}}]), destination
    )
    assert sorted(
        str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file()
    ) == [
        "sub/config.json",
        "xgboost-model",
    ]


def test_one_uncompressed_object_is_linked_under_its_own_name(s3: S3Access, tmp_path: Path) -> None:
    _put(s3, tmp_path, "m/xgboost-model", b"model bytes")
    data = {
        "S3Uri": "s3://models/m/xgboost-model",
        "S3DataType": "S3Object",
        "CompressionType": "None",
    }
    destination = tmp_path / "served"
    fetch(
        s3, model_source([{"Image": IMAGE, "ModelDataSource": {"S3DataSource": data}}]), destination
    )
    assert (destination / "xgboost-model").read_bytes() == b"model bytes"


def test_keys_that_would_escape_the_folder_are_refused(s3: S3Access, tmp_path: Path) -> None:
    _put(s3, tmp_path, "m/v1/../../escape", b"x")
    data = {"S3Uri": "s3://models/m/v1/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    with pytest.raises(DeploymentFailed, match="is not a safe path"):
        fetch(
            s3,
            model_source([{"Image": IMAGE, "ModelDataSource": {"S3DataSource": data}}]),
            tmp_path / "d",
        )
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (
            "s3://models/absent.tar.gz",
            'Failed to download model data .* from URL: "s3://models/absent.tar.gz"',
        ),
        ("s3://no-bucket/model.tar.gz", "Failed to download model data"),
        ("https://example.com/model.tar.gz", "is not an s3:// URL"),
    ],
)
def test_artifacts_that_cannot_be_fetched(
    s3: S3Access, tmp_path: Path, uri: str, reason: str
) -> None:
    with pytest.raises(DeploymentFailed, match=reason):
        fetch(s3, model_source([{"Image": IMAGE, "ModelDataUrl": uri}]), tmp_path / "d")


def test_a_prefix_with_no_objects_fails(s3: S3Access, tmp_path: Path) -> None:
    data = {"S3Uri": "s3://models/empty/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    with pytest.raises(DeploymentFailed, match="no objects under the prefix"):
        fetch(
            s3,
            model_source([{"Image": IMAGE, "ModelDataSource": {"S3DataSource": data}}]),
            tmp_path / "d",
        )


def test_a_failed_servers_reason_is_its_last_load_error_on_one_line() -> None:
    log = "serving x\nUnable to load model: bad: [1] json.cc:409: Unknown\n    thes\n    ^~~\n"
    assert exit_reason(log) == "Unable to load model: bad: [1] json.cc:409: Unknown thes ^~~"
    assert exit_reason("warning\ncannot listen on 127.0.0.1:0: refused\n") == (
        "cannot listen on 127.0.0.1:0: refused"
    )
    assert exit_reason("") == ""
