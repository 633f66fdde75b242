"""`python -m mlci.ui.approver`: the dashboard's approval, in a process of its own.

Calls the runner's `operations.approve` (which records who approved, then runs what follows
the hold unless a live runner will) with the dashboard user's name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from mlci.pipeline import operations
    from mlci.pipeline.errors import PipelineError
    from mlci.pipeline.progress import Plain

    parser = argparse.ArgumentParser(prog="python -m mlci.ui.approver")
    for name in ("--repo", "--pipeline", "--workflow", "--job", "--user"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv)
    try:
        _, outcome = operations.approve(
            Path(args.repo),
            Plain(sys.stdout),
            operations.Options(),
            number=int(args.pipeline),
            workflow=args.workflow,
            job=args.job,
            user=args.user,
        )
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if outcome is None else outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
