"""`mlci cloud`: start, stop and inspect the local AWS stand-in."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from mlci.cloud import credentials, daemon
from mlci.cloud.paths import cloud_home

DEFAULT_PORT = 4599

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State directory (default: $MLCI_HOME, else a per-user data directory).",
)


@click.group()
def cloud() -> None:
    """The local cloud: S3, SageMaker, CloudWatch Logs and STS on one port."""


@cloud.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port (0: any free one)."
)
@click.option("--foreground", is_flag=True, help="Serve in this process until interrupted.")
@home_option
def start(host: str, port: int, foreground: bool, home: Path | None) -> None:
    """Start the cloud (in the background unless --foreground) and print its URL."""
    state = cloud_home(home)
    if foreground:
        from mlci.cloud.server import serve

        serve(state, host, port)
        return
    try:
        running = daemon.start(state, host, port)
    except daemon.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(running.url)


@cloud.command()
@home_option
def stop(home: Path | None) -> None:
    """Stop the background cloud."""
    try:
        stopped = daemon.stop(cloud_home(home))
    except daemon.CloudError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("stopped" if stopped else "not running")


@cloud.command()
@home_option
def status(home: Path | None) -> None:
    """Say whether the cloud is running, and where."""
    state = cloud_home(home)
    running = daemon.running(state)
    if running is None:
        click.echo(f"not running (state in {state})")
        raise SystemExit(3)
    click.echo(f"running at {running.url} (pid {running.pid}, state in {state})")


@cloud.command()
@home_option
def env(home: Path | None) -> None:
    """Print export lines for AWS clients: eval "$(mlci cloud env)"."""
    state = cloud_home(home)
    running = daemon.running(state)
    if running is None:
        raise click.ClickException("the cloud is not running; start it with: mlci cloud start")
    creds = credentials.load(state / credentials.FILE_NAME)
    for name, value in (
        ("AWS_ENDPOINT_URL", running.url),
        ("AWS_ACCESS_KEY_ID", creds.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key),
        ("AWS_DEFAULT_REGION", creds.region),
    ):
        click.echo(f"export {name}={shlex.quote(value)}")


@cloud.command("seed-samples")
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    envvar="MLCI_SAMPLES_DIR",
    default=None,
    help="Folder holding abalone.data and churn.txt (default: $MLCI_SAMPLES_DIR, "
    "else download them from their public origins).",
)
@home_option
def seed_samples(source: Path | None, home: Path | None) -> None:
    """Create the public sample bucket (sagemaker-sample-files) the example models read."""
    import boto3
    from botocore.config import Config

    from mlci.samples import SamplesError, load_samples, seed_sample_bucket

    state = cloud_home(home)
    running = daemon.running(state)
    if running is None:
        raise click.ClickException("the cloud is not running; start it with: mlci cloud start")
    creds = credentials.load(state / credentials.FILE_NAME)
    try:
        samples = load_samples(source, state / "samples")
    except SamplesError as exc:
        raise click.ClickException(str(exc)) from None
    s3 = boto3.client(
        "s3",
        endpoint_url=running.url,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        region_name=creds.region,
        config=Config(s3={"addressing_style": "path"}),
    )
    report = seed_sample_bucket(s3, samples)
    click.echo(f"samples from {samples.source}")
    for key, size in report.uploaded.items():
        click.echo(f"uploaded s3://{report.bucket}/{key} ({size} bytes)")
    for key in report.unchanged:
        click.echo(f"unchanged s3://{report.bucket}/{key}")
