"""Orbs mlci implements natively: circleci/path-filtering and circleci/continuation.

Each is a config namespace written in CircleCI's own terms (jobs, commands, executors with
the orb's parameter names and defaults), whose work is done by `native/…` steps the runner
executes (see native.py). Any version tag of these orbs resolves to the same definitions,
which accept the union of the parameters their published versions take.
"""
