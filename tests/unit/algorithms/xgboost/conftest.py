"""Fixtures: small real datasets and models trained by our own training code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mlci.algorithms.xgboost.spec import ChannelSpec, TrainingResult, TrainingSpec
from mlci.algorithms.xgboost.training import train

N_FEATURES = 4


def synthetic_rows(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.random((n, N_FEATURES))
    labels = 3 * features[:, 0] + features[:, 1] - 2 * features[:, 2] + rng.normal(0, 0.05, n)
    return features, labels


def csv_lines(features: np.ndarray, labels: np.ndarray) -> list[str]:
    return [",".join(f"{v:.6g}" for v in (y, *x)) for x, y in zip(features, labels, strict=True)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Trainer:
    """Runs training.train on channel folders under `root`, collecting the log lines."""

    root: Path
    lines: list[str]

    def run(
        self,
        hyperparameters: dict[str, str],
        channels: dict[str, ChannelSpec],
        **options: float | int | None,
    ) -> TrainingResult:
        self.lines.clear()
        spec = TrainingSpec(
            channels=channels,
            hyperparameters=hyperparameters,
            model_dir=str(self.root / "model"),
            log=self.lines.append,
            **options,  # type: ignore[arg-type]
        )
        return train(spec)


@pytest.fixture
def trainer(tmp_path: Path) -> Trainer:
    return Trainer(tmp_path, [])


@pytest.fixture(scope="session")
def regression_csv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ChannelSpec]:
    """Synthetic regression data, label first, no header: train and validation channels."""
    root = tmp_path_factory.mktemp("regression")
    train_x, train_y = synthetic_rows(400, seed=1)
    valid_x, valid_y = synthetic_rows(100, seed=2)
    write_lines(root / "train" / "part-0.csv", csv_lines(train_x, train_y))
    write_lines(root / "validation" / "part-0.csv", csv_lines(valid_x, valid_y))
    return {
        "train": ChannelSpec(str(root / "train"), "text/csv"),
        "validation": ChannelSpec(str(root / "validation"), "text/csv"),
    }


@pytest.fixture(scope="session")
def regression_model(
    tmp_path_factory: pytest.TempPathFactory, regression_csv: dict[str, ChannelSpec]
) -> Path:
    """A model directory holding xgboost-model, trained by training.train on 4 features."""
    model_dir = tmp_path_factory.mktemp("regression-model")
    result = train(
        TrainingSpec(
            channels=regression_csv,
            hyperparameters={"num_round": "20", "max_depth": "3", "eta": "0.3"},
            model_dir=str(model_dir),
        )
    )
    assert result.status == "Completed", result.failure_reason
    return model_dir


@pytest.fixture
def write_channel(tmp_path: Path) -> Callable[[str, str, str], ChannelSpec]:
    """Write `text` as the single file of a channel folder and return its ChannelSpec."""

    def write(name: str, text: str, content_type: str = "text/csv") -> ChannelSpec:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data").write_text(text)
        return ChannelSpec(str(folder), content_type)

    return write
