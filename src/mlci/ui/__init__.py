"""`mlci ui`: a server-rendered dashboard over the pipeline state and the cloud.

It reads pipeline state through `mlci.pipeline.state` and talks to the cloud as any AWS client
does (boto3 with the cloud's endpoint and credentials); it keeps only its own records (the
audit log and the endpoint deployments it has seen) in `.mlci/ui.db`.
"""
