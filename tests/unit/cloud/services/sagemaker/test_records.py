"""Record helpers: projection onto botocore shapes, timestamp parameters."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.sagemaker import records


def test_project_keeps_only_the_members_of_the_shape() -> None:
    record = {"ModelName": "m", "ModelArn": "a", "CreationTime": 1.0, "PrimaryContainer": {}}
    assert records.project(record, "ModelSummary") == {
        "ModelName": "m",
        "ModelArn": "a",
        "CreationTime": 1.0,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, 1700000000.0),
        (1700000000.25, 1700000000.25),
        ("1700000000.5", 1700000000.5),
        ("2023-11-14T22:13:20Z", 1700000000.0),
        ("2023-11-14T22:13:20", 1700000000.0),  # no zone: UTC
        ("2023-11-14T23:13:20+01:00", 1700000000.0),
    ],
)
def test_timestamps_are_read_as_epoch_seconds(value: object, expected: float) -> None:
    assert records.timestamp({"T": value}, "T") == expected


def test_absent_timestamps_are_none_and_bad_ones_are_refused() -> None:
    assert records.timestamp({}, "T") is None
    for bad in ("soon", [1], True):
        with pytest.raises(AwsError, match="at 'T' is not a valid timestamp"):
            records.timestamp({"T": bad}, "T")
