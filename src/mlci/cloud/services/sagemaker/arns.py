"""SageMaker ARNs: `arn:aws:sagemaker:<region>:<account>:<resource-type>/<id>`.

SageMaker lower-cases the resource id in every ARN it issues (a model named `Churn-A` is
`.../model/churn-a`), so names are unique regardless of case, and an ARN given back to us is
matched after lower-casing. Operations that take "a name or an ARN" accept either form here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlci.cloud.errors import validation
from mlci.cloud.service import Context

PARTITION = "aws"
_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}):"
    r"(?P<type>[a-z-]+)/(?P<id>.+)"
)


@dataclass(frozen=True)
class Arn:
    region: str
    account: str
    resource_type: str
    resource_id: str  # as written in the ARN, e.g. "my-group/3" for a model package version


def build(ctx: Context, resource_type: str, resource_id: str) -> str:
    scope = f"arn:{PARTITION}:sagemaker:{ctx.region}:{ctx.account_id}"
    return f"{scope}:{resource_type}/{resource_id.lower()}"


def parse(text: str) -> Arn | None:
    """The parts of a SageMaker ARN, or None when `text` is not one."""
    match = _ARN.fullmatch(text)
    if match is None:
        return None
    return Arn(match["region"], match["account"], match["type"], match["id"])


def resource_id(ctx: Context, name_or_arn: str, resource_type: str) -> str:
    """The id part of `name_or_arn`: the value itself for a name, the part after the resource
    type for an ARN of this region, account and type (anything else is refused)."""
    if not name_or_arn.startswith("arn:"):
        return name_or_arn
    arn = parse(name_or_arn)
    if arn is None or arn.resource_type != resource_type:
        raise validation(f"'{name_or_arn}' is not a SageMaker {resource_type} ARN.")
    check_scope(ctx, arn)
    return arn.resource_id


def check_scope(ctx: Context, arn: Arn) -> None:
    """SageMaker refuses ARNs of another region or account rather than reporting them missing."""
    if arn.region != ctx.region:
        raise validation(f"ARN should be scoped to correct region: {ctx.region}")
    if arn.account != ctx.account_id:
        raise validation(f"ARN should be scoped to correct account: {ctx.account_id}")


def key(arn: str) -> str:
    """How an ARN is looked up: case does not distinguish SageMaker resources."""
    return arn.lower()
