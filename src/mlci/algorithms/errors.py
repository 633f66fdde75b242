"""The two ways a built-in algorithm fails, named after what SageMaker reports.

`AlgorithmError` ends a training job: its message is what the job's `FailureReason` shows.
`ModelError` refuses one inference request: its `status` and message are what the model
container answers, and what `InvokeEndpoint` wraps into its `ModelError` for the client.
"""

from __future__ import annotations


class AlgorithmError(Exception):
    """A training job cannot run or finish; the message says what was wrong and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelError(Exception):
    """An inference request the model cannot answer; status is the container's HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ModelLoadError(ModelError):
    """The model cannot be loaded (bad archive, missing or foreign model file); the container
    answers such a model with 500 "Unable to load model: ..."."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Unable to load model: {message}", status=500)
