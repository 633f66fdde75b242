"""Progress output: plain lines for logs and pipes, the live tree for terminals."""

from __future__ import annotations

import io

from mlci.pipeline.progress import Live, Plain, reporter_for


def test_plain_lines() -> None:
    stream = io.StringIO()
    plain = Plain(stream)
    plain.workflow(1, "main", "running")
    plain.job("main", "build", "running")
    plain.step("main", "build", 1, "Checkout code", "running", None)
    plain.step("main", "build", 1, "Checkout code", "success", 0.25)
    plain.job("main", "build", "failed", "exited with code 2")
    plain.note("done")

    lines = stream.getvalue().splitlines()
    assert lines[0] == "workflow main: running"
    assert lines[1] == "  main/build: running"
    assert lines[2] == "    main/build [1] Checkout code: success (0.25s)"
    assert lines[3].startswith("  main/build: failed (") and lines[3].endswith(
        "s): exited with code 2"
    )
    assert lines[4] == "done"


def test_live_renders_the_tree() -> None:
    stream = io.StringIO()
    live = Live(stream)
    live.workflow(1, "main", "running")
    live.job("main", "build", "running")
    live.step("main", "build", 2, "Install", "running", None)
    live.job("main", "lint", "failed", "exited with code 1")
    live.close()

    text = stream.getvalue()
    assert "main: running" in text
    assert "[2] Install" in text
    assert "lint: failed" in text and "exited with code 1" in text


def test_reporter_choice() -> None:
    assert type(reporter_for(io.StringIO(), quiet=False)).__name__ == "Plain"
    assert type(reporter_for(io.StringIO(), quiet=True)).__name__ == "Silent"
