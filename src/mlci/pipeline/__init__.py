"""The CircleCI half of mlci: config model, expressions, path filtering (`mlci changes`).

Nothing here imports `mlci.cloud`; the runner reaches the cloud over HTTP like any client.
"""
