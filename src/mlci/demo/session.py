"""One demo from start to end: the folder, the private cloud, the story, the summary, and
what is left behind (everything is removed unless --keep)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from mlci.demo.cloud import PrivateCloud
from mlci.demo.progress import Progress
from mlci.demo.repo import DemoError, DemoRepo, example_source, is_demo_folder, prepare_folder
from mlci.demo.story import Player
from mlci.demo.summary import model_table, pipeline_table


def run_demo(folder: Path | None, keep: bool, samples: Path | None, progress: Progress) -> bool:
    """Play the demo; True if every expectation held."""
    temporary = folder is None
    root = Path(tempfile.mkdtemp(prefix="mlci-demo-")) if folder is None else folder.resolve()
    cloud = PrivateCloud(root / "cloud")
    started = time.monotonic()
    player: Player | None = None
    prepared = ok = False
    try:
        if is_demo_folder(root) and (root / "cloud").is_dir():
            progress.step(f"resetting the earlier demo in {root}")
            cloud.stop()
        prepare_folder(root)
        prepared = True  # from here on the folder is the demo's own, to clean up
        repo = DemoRepo.create(root / "monorepo", example_source())
        progress.step(f"the example monorepo, as a fresh git repository: {repo.root}")
        url = cloud.start()
        progress.step(f"a private mlci cloud for this demo only, at {url} (state in {cloud.home})")
        for line in cloud.seed(samples).splitlines():
            progress.output(line)
        player = Player(repo, cloud, progress)
        player.play()
        ok = True
    except DemoError as exc:
        progress.broken(str(exc))
    finally:
        if player is not None:
            summarise(player, progress)
        checks = player.checks if player is not None else 0
        verdict = "passed" if ok else "FAILED"
        progress.plain(
            f"demo {verdict}: {checks} checks held, {time.monotonic() - started:.1f}s wall time"
        )
        if prepared:
            leave(root, cloud, keep=keep, temporary=temporary, progress=progress)
    return ok


def summarise(player: Player, progress: Progress) -> None:
    progress.plain()
    try:
        progress.console.print(pipeline_table(player))
        progress.console.print(model_table(player))
    except Exception as exc:  # the summary must not hide how the story ended
        progress.broken(f"cannot build the summary: {exc}")


def leave(
    root: Path, cloud: PrivateCloud, *, keep: bool, temporary: bool, progress: Progress
) -> None:
    """Keep everything (and the cloud running) for exploring, or stop and remove it."""
    if keep:
        repo = root / "monorepo"
        progress.plain(
            "\nExplore further (the demo's cloud is still running):\n"
            f"  cd {repo}\n"
            f"  export MLCI_HOME={cloud.home}\n"
            "  mlci status --list            # the pipelines\n"
            "  mlci status 1 --steps         # one pipeline's jobs and steps\n"
            "  mlci logs 3 abalone-model-deploy\n"
            '  eval "$(mlci cloud env)"; aws sagemaker list-model-packages '
            "--model-package-group-name abalone-model\n"
            "  mlci ui                       # the dashboard\n"
            "  mlci cloud stop               # when done"
        )
        return
    if cloud.url:
        try:
            cloud.stop()
        except DemoError as exc:
            progress.broken(str(exc))
    if temporary:
        shutil.rmtree(root, ignore_errors=True)
    else:
        shutil.rmtree(root / "monorepo", ignore_errors=True)
        shutil.rmtree(cloud.home, ignore_errors=True)
    progress.plain(
        f"removed the demo's repository and cloud ({root}). To explore them afterwards"
        " (mlci status, mlci logs, mlci ui, the registry and endpoints with boto3 or the AWS"
        " CLI): mlci demo --dir DIR --keep"
    )
