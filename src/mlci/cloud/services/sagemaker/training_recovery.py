"""What a restart does about the jobs that were running when the cloud died.

A job's worker dies with the cloud (see `training_workers`), so a job still InProgress or
Stopping at start-up will never finish: it is marked Failed with a reason that says it was
interrupted. Its model was never published, unless the cloud died while uploading it; then the
object is removed too, so nothing half-finished is visible. Working folders are all removed
(no job runs yet at start-up).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.sagemaker import records, training_outputs, training_store
from mlci.cloud.services.sagemaker import training_records as job_records
from mlci.cloud.services.sagemaker.clock import Clock
from mlci.cloud.services.sagemaker.records import Record
from mlci.sqlite import Database


def recover_interrupted(db: Database, clock: Clock, s3: S3Access, jobs_folder: Path) -> int:
    """Fail every job that was running; returns how many there were."""
    with db.write() as conn:
        rows = training_store.in_statuses(conn, job_records.ACTIVE_STATUSES)
        for row in rows:
            record = records.load(row["record"])
            if record.get("SecondaryStatus") == "Uploading":
                remove_model(s3, record)
            training_store.write(conn, row["id"], job_records.interrupted(record, clock.now()))
    shutil.rmtree(jobs_folder, ignore_errors=True)
    return len(rows)


def remove_model(s3: S3Access, record: Record) -> None:
    """Delete what the job may have stored as its model (an archive, or loose files)."""
    target = training_outputs.model_location(record["OutputDataConfig"], record["TrainingJobName"])
    if not target.key.endswith("/"):
        s3.delete(target.bucket, target.key)
        return
    try:
        keys = [found.key for found in s3.list_prefix(target.bucket, target.key)]
    except AwsError:  # the bucket is gone: nothing to remove
        return
    for key in keys:
        s3.delete(target.bucket, key)
