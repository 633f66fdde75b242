"""After a deployment, send a few held-out rows to the endpoint and show what it answers."""

from __future__ import annotations

import re
from typing import Any

from common.data import first_rows
from common.errors import StepFailed


def parse_predictions(body: str) -> list[float]:
    # The XGBoost container answers CSV requests with one prediction per row, separated by
    # commas or newlines depending on its version.
    fields = [f for f in re.split(r"[,\n]", body.strip()) if f.strip()]
    try:
        return [float(f) for f in fields]
    except ValueError:
        raise StepFailed(
            f"the endpoint answered something that is not predictions: {body[:200]!r}"
        ) from None


def smoke_test(runtime: Any, s3: Any, endpoint: str, test_uri: str, rows: int = 5) -> list[float]:
    """Invoke the endpoint with the first `rows` test rows; print prediction next to label."""
    sample = first_rows(s3, test_uri, rows)
    if not sample:
        raise StepFailed(f"{test_uri} holds no rows to test the endpoint with")
    response = runtime.invoke_endpoint(
        EndpointName=endpoint,
        ContentType="text/csv",
        Accept="text/csv",
        Body="\n".join(features for _, features in sample).encode(),
    )
    predictions = parse_predictions(response["Body"].read().decode("utf-8"))
    if len(predictions) != len(sample):
        raise StepFailed(
            f"sent {len(sample)} rows to {endpoint} but got {len(predictions)} predictions"
        )
    print(f"smoke test of {endpoint} with {len(sample)} rows of {test_uri}:")
    print("  prediction        label")
    for prediction, (label, _) in zip(predictions, sample, strict=True):
        print(f"  {prediction:<16.6g}  {label}")
    return predictions
