"""A training job's record as it moves through SageMaker's statuses."""

from __future__ import annotations

from typing import Any

from mlci.cloud.services.sagemaker import training_records as jobs

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/j"
REQUEST: dict[str, Any] = {
    "TrainingJobName": "j",
    "RoleArn": "arn:aws:iam::123456789012:role/r",
    "AlgorithmSpecification": {
        "TrainingImage": "sagemaker-xgboost:1.5-1",
        "TrainingInputMode": "File",
    },
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t/"}},
        }
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
    "Tags": [{"Key": "k", "Value": "v"}],
}


def test_a_new_record_is_in_progress_starting_with_sagemakers_defaults() -> None:
    record = jobs.new_record(REQUEST, ARN, 100.0)
    assert record["TrainingJobStatus"] == "InProgress"
    assert record["SecondaryStatus"] == "Starting"
    assert record["StoppingCondition"] == {"MaxRuntimeInSeconds": 86_400}
    assert record["HyperParameters"] == {}
    assert record["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] is False
    channel = record["InputDataConfig"][0]
    assert channel["CompressionType"] == "None" and channel["RecordWrapperType"] == "None"
    assert channel["DataSource"]["S3DataSource"]["S3DataDistributionType"] == "FullyReplicated"
    assert "Tags" not in record  # tags are listed with ListTags, not described
    assert record["SecondaryStatusTransitions"] == [
        {"Status": "Starting", "StartTime": 100.0, "StatusMessage": "Starting the training job"}
    ]
    assert REQUEST["InputDataConfig"][0].get("CompressionType") is None  # input untouched


def test_transitions_close_the_previous_phase_and_stamp_the_start_of_training() -> None:
    record = jobs.new_record(REQUEST, ARN, 100.0)
    record = jobs.transition(record, "Downloading", 101.0)
    record = jobs.transition(record, "Training", 103.5)
    assert record["TrainingStartTime"] == 101.0
    assert record["LastModifiedTime"] == 103.5
    assert [
        (t["Status"], t["StartTime"], t.get("EndTime"))
        for t in record["SecondaryStatusTransitions"]
    ] == [
        ("Starting", 100.0, 101.0),
        ("Downloading", 101.0, 103.5),
        ("Training", 103.5, None),
    ]


def test_a_finished_record_has_times_metrics_and_the_model() -> None:
    record = jobs.transition(jobs.new_record(REQUEST, ARN, 100.0), "Downloading", 101.0)
    done = jobs.finished(
        record,
        "Completed",
        "Completed",
        104.2,
        metrics=[("train:rmse", 0.5)],
        model_uri="s3://b/out/j/output/model.tar.gz",
    )
    assert done["TrainingJobStatus"] == "Completed"
    assert done["TrainingEndTime"] == 104.2
    assert done["TrainingTimeInSeconds"] == done["BillableTimeInSeconds"] == 4  # whole seconds, up
    assert done["FinalMetricDataList"] == [
        {"MetricName": "train:rmse", "Value": 0.5, "Timestamp": 104.2}
    ]
    assert done["ModelArtifacts"] == {"S3ModelArtifacts": "s3://b/out/j/output/model.tar.gz"}
    last = done["SecondaryStatusTransitions"][-1]
    assert last == {
        "Status": "Completed",
        "StartTime": 104.2,
        "EndTime": 104.2,
        "StatusMessage": "Training job completed",
    }
    assert "FailureReason" not in done


def test_a_job_that_never_started_training_has_no_billable_time() -> None:
    done = jobs.finished(jobs.new_record(REQUEST, ARN, 1.0), "Failed", "Failed", 1.2, "bad image")
    assert done["FailureReason"] == "bad image"
    assert "TrainingTimeInSeconds" not in done and "TrainingStartTime" not in done


def test_a_job_that_ran_for_no_time_still_bills_one_second() -> None:
    record = jobs.transition(jobs.new_record(REQUEST, ARN, 1.0), "Downloading", 2.0)
    assert jobs.finished(record, "Failed", "Failed", 2.0, "x")["TrainingTimeInSeconds"] == 1


def test_failure_reasons_are_cut_to_sagemakers_limit() -> None:
    done = jobs.finished(jobs.new_record(REQUEST, ARN, 1.0), "Failed", "Failed", 2.0, "x" * 5000)
    assert len(done["FailureReason"]) == 1024


def test_stopping_and_interrupted() -> None:
    record = jobs.transition(jobs.new_record(REQUEST, ARN, 1.0), "Training", 2.0)
    stopping = jobs.stopping(record, 3.0)
    assert (stopping["TrainingJobStatus"], stopping["SecondaryStatus"]) == ("Stopping", "Stopping")
    assert stopping["TrainingJobStatus"] in jobs.ACTIVE_STATUSES
    failed = jobs.interrupted(stopping, 9.0)
    assert failed["TrainingJobStatus"] == "Failed"
    assert "interrupted" in failed["FailureReason"]
    assert failed["TrainingEndTime"] == 9.0
    assert [t["Status"] for t in failed["SecondaryStatusTransitions"]] == [
        "Starting",
        "Training",
        "Stopping",
        "Failed",
    ]
