"""Helpers every model folder of this monorepo uses: settings, git identity, S3 data, training,
the model registry and endpoint deployment.

Plain boto3 and the SageMaker Python SDK 2.x; nothing here knows where it runs, so the same code
serves CircleCI + AWS and a local stand-in reached through AWS_ENDPOINT_URL.
"""
