"""A training job's inputs: which image it asks for, and its channels fetched from the cloud's S3.

Channels are laid out as SageMaker's File mode lays them out in /opt/ml/input/data/<channel>:
each object becomes a file at its key relative to the prefix's folder (`s3://b/data/train/`
puts `data/train/part-1.csv` at `part-1.csv`; `s3://b/data/train.csv` puts that object at
`train.csv`). Keys are arbitrary strings, so the path is built component by component and the
components a filesystem would read as navigation (`.`, `..`) or cannot hold (NUL, over 255
bytes) are escaped: a key never names a path outside the channel folder.

Files are hard links to the objects' immutable blobs, so a channel costs no copy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.services.s3.access import S3Access

XGBOOST_REPOSITORY = "sagemaker-xgboost"
SUPPORTED_IMAGES = (
    "mlci cloud runs the built-in XGBoost algorithm only: AlgorithmSpecification.TrainingImage "
    "must be an image of the 'sagemaker-xgboost' repository, from any registry and with any tag "
    "(for example what sagemaker.image_uris.retrieve('xgboost', region, '1.5-1') returns: "
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1)"
)
_S3_URI = re.compile(r"s3://(?P<bucket>[^/]+)/?(?P<key>.*)", re.DOTALL)
_MAX_NAME_BYTES = 255


class JobFailure(Exception):
    """The job cannot go on; the message is its FailureReason."""


class Cancelled(Exception):
    """StopTrainingJob (or the runtime limit) came while the channels were being fetched."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str, field: str) -> S3Location:
    """`s3://bucket/key` -> its parts; anything else is a ValidationException naming `field`."""
    match = _S3_URI.fullmatch(uri)
    if match is None:
        raise validation(
            f"Value '{uri}' at '{field}' is not an S3 URI that mlci cloud can read: "
            "use s3://<bucket>/<prefix>"
        )
    return S3Location(match["bucket"], match["key"])


def image_repository(image: str) -> str:
    """The repository name of an image reference: `host/path/name:tag@digest` -> `name`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def check_image(image: str | None) -> None:
    if image is None or image_repository(image) != XGBOOST_REPOSITORY:
        raise JobFailure(f"ClientError: Unsupported training image {image!r}. {SUPPORTED_IMAGES}")


def channel_path(base: str, key: str) -> PurePosixPath | None:
    """Where object `key` (which starts with `base`) goes inside its channel folder, or None
    for a folder marker."""
    if key.endswith("/"):
        return None  # a zero-byte "folder" object: SageMaker creates no file for it
    parts = [_safe_part(part) for part in key[len(base) :].split("/") if part]
    return PurePosixPath(*parts) if parts else None


def _safe_part(part: str) -> str:
    if part in (".", ".."):
        return part.replace(".", "%2E")
    part = part.replace("%", "%25").replace("\x00", "%00")
    if len(part.encode("utf-8")) > _MAX_NAME_BYTES:
        digest = hashlib.sha256(part.encode("utf-8")).hexdigest()[:16]
        return part.encode("utf-8")[:200].decode("utf-8", "ignore") + "-" + digest
    return part


def folder_of(key: str) -> str:
    """The key prefix up to and including its last '/' (the 'folder' the key is in)."""
    return key[: key.rfind("/") + 1]


def manifest_entries(data: bytes, where: str) -> tuple[S3Location, list[str]]:
    """A ManifestFile's prefix and the keys it lists relative to it:
    `[{"prefix": "s3://b/p/"}, "rel/1", "rel/2", ...]`."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad_manifest(where, f"it is not JSON ({error})") from None
    if not isinstance(document, list) or not document or not isinstance(document[0], dict):
        raise _bad_manifest(where, 'its first element must be {"prefix": "s3://bucket/prefix/"}')
    prefix = document[0].get("prefix")
    if not isinstance(prefix, str) or _S3_URI.fullmatch(prefix) is None:
        raise _bad_manifest(where, f"its prefix {prefix!r} is not an s3:// URI")
    entries = document[1:]
    for entry in entries:
        if not isinstance(entry, str) or not entry:
            raise _bad_manifest(where, f"entry {entry!r} is not a relative key")
    if not entries:
        raise _bad_manifest(where, "it lists no objects after the prefix")
    return parse_s3_uri(prefix, "prefix"), entries


def _bad_manifest(where: str, why: str) -> JobFailure:
    return JobFailure(
        f"ClientError: The manifest file {where} is not valid: {why}. A manifest is a JSON "
        'array: [{"prefix": "s3://bucket/prefix/"}, "relative/key-1", "relative/key-2", ...]'
    )


@dataclass(frozen=True)
class Downloader:
    """Fetches a job's channels from S3 into `<root>/<channel name>/`."""

    s3: S3Access
    region: str
    role_arn: str
    cancelled: Callable[[], bool]

    def fetch(self, channel: Mapping[str, Any], root: Path) -> Path:
        name = channel["ChannelName"]
        source = _s3_source(channel)
        location = parse_s3_uri(source["S3Uri"], f"InputDataConfig channel {name} S3Uri")
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        if source["S3DataType"] == "ManifestFile":
            self._fetch_manifest(location, folder)
        else:
            self._fetch_prefix(location, folder)
        return folder

    def _fetch_prefix(self, location: S3Location, folder: Path) -> None:
        found = False
        base = folder_of(location.key)
        for record in self._listed(location):
            found = True
            self._place(location.bucket, record, channel_path(base, record.key), folder)
        if not found:
            raise JobFailure(
                f'ClientError: No S3 objects found under S3 URL "{location.uri}" given in input '
                f"data source. Please ensure that the bucket exists in the selected region "
                f"({self.region}), that objects exist under that S3 prefix, and that the role "
                f'"{self.role_arn}" has "s3:ListBucket" permissions on bucket "{location.bucket}".'
            )

    def _listed(self, location: S3Location) -> Iterator[Any]:
        try:
            yield from self.s3.list_prefix(location.bucket, location.key)
        except AwsError as error:
            raise _download_failed(location, error) from None

    def _fetch_manifest(self, manifest: S3Location, folder: Path) -> None:
        try:
            data = self.s3.read(manifest.bucket, manifest.key)
        except AwsError as error:
            raise _download_failed(manifest, error) from None
        prefix, relatives = manifest_entries(data, manifest.uri)
        for relative in relatives:
            entry = S3Location(prefix.bucket, prefix.key + relative)
            try:
                record = self.s3.find(entry.bucket, entry.key)
            except AwsError as error:
                raise _download_failed(entry, error, f", listed in {manifest.uri}") from None
            self._place(entry.bucket, record, channel_path(prefix.key, entry.key), folder)

    def _place(
        self, bucket: str, record: Any, relative: PurePosixPath | None, folder: Path
    ) -> None:
        if self.cancelled():
            raise Cancelled
        if relative is None:
            return
        target = folder.joinpath(*relative.parts)
        try:
            self.s3.link(bucket, record, target)
        except AwsError as error:
            raise _download_failed(S3Location(bucket, record.key), error) from None
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise JobFailure(
                f"ClientError: Data download failed: the object s3://{bucket}/{record.key} "
                f"cannot be placed at '{relative}' in the channel folder: another object of the "
                "channel already occupies that path (a key that is also a prefix of other keys, "
                "or keys that differ only in repeated '/')"
            ) from None


def _s3_source(channel: Mapping[str, Any]) -> Mapping[str, Any]:
    name = channel["ChannelName"]
    source = channel.get("DataSource", {}).get("S3DataSource")
    if source is None:
        raise JobFailure(
            f"ClientError: Channel {name}: mlci cloud reads channels from S3 only "
            "(DataSource.S3DataSource); FileSystemDataSource and DatasetSource are not supported"
        )
    if source["S3DataType"] not in ("S3Prefix", "ManifestFile"):
        raise JobFailure(
            f"ClientError: Channel {name}: S3DataType {source['S3DataType']} is not supported by "
            "the XGBoost algorithm in mlci cloud; use S3Prefix or ManifestFile"
        )
    if channel.get("CompressionType", "None") != "None":
        raise JobFailure(
            f"ClientError: Channel {name}: CompressionType {channel['CompressionType']} is "
            "supported by SageMaker in Pipe input mode only; mlci cloud reads channels as files, "
            "so store the data uncompressed"
        )
    return source


def _download_failed(location: S3Location, error: AwsError, where: str = "") -> JobFailure:
    if error.code == "NoSuchBucket":
        why = f'the bucket "{location.bucket}" does not exist'
    elif error.code == "NoSuchKey":
        why = f"{location.uri}{where} does not exist"
    else:
        why = f"{error.code}: {error.message}"
    return JobFailure(f"ClientError: Data download failed: {why} ({location.uri}{where})")
