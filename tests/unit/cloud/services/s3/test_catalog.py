"""Naming unimplemented operations from botocore's S3 model."""

from __future__ import annotations

import pytest

from mlci.cloud.services.s3 import catalog


@pytest.mark.parametrize(
    ("method", "level", "query", "name"),
    [
        ("PUT", "bucket", {"policy"}, "PutBucketPolicy"),
        ("GET", "bucket", {"versioning"}, "GetBucketVersioning"),
        ("GET", "bucket", {"lifecycle"}, "GetBucketLifecycleConfiguration"),  # not deprecated
        ("GET", "bucket", {"analytics"}, "ListBucketAnalyticsConfigurations"),
        ("GET", "bucket", {"analytics", "id"}, "GetBucketAnalyticsConfiguration"),
        ("PUT", "object", {"tagging"}, "PutObjectTagging"),
        ("POST", "object", {"select", "select-type"}, "SelectObjectContent"),
        ("POST", "bucket", set(), "POST on a bucket"),
    ],
)
def test_operation_names(method: str, level: str, query: set[str], name: str) -> None:
    assert catalog.operation_name(method, level, query) == name


def test_subresources_include_the_usual_ones_but_not_arguments() -> None:
    keys = catalog.subresources()
    assert {"acl", "tagging", "policy", "versioning", "uploads", "delete"} <= keys
    assert "list-type" not in keys
