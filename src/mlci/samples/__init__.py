"""The example models' public datasets: find, verify, convert, and seed a sample bucket.

Pure of the cloud: seeding takes any boto3 S3 client, so it works against mlci's cloud, moto
or (for a bucket of one's own) AWS.
"""

from mlci.samples.datasets import ABALONE, CHURN, DATASETS, Dataset
from mlci.samples.errors import ChecksumMismatch, MalformedSample, SamplesError, SamplesUnavailable
from mlci.samples.seeding import SAMPLE_BUCKET, SeedReport, sample_objects, seed_sample_bucket
from mlci.samples.sources import Samples, fetch, load_samples, locate

__all__ = [
    "ABALONE",
    "CHURN",
    "DATASETS",
    "SAMPLE_BUCKET",
    "ChecksumMismatch",
    "Dataset",
    "MalformedSample",
    "Samples",
    "SamplesError",
    "SamplesUnavailable",
    "SeedReport",
    "fetch",
    "load_samples",
    "locate",
    "sample_objects",
    "seed_sample_bucket",
]
