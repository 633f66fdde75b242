"""Moving what a successful job installed into its executor's base environment (the cache).

Add-only: a distribution moves only if the base has no distribution of that name and none
of its top-level files, so a package already in the base is never replaced under a job
that is using it. Files move by rename (same file system, atomic each), console scripts get
their `#!` line pointed at the base's interpreter. Anything unusual (no RECORD, a path
outside site-packages other than a script) leaves the distribution in the job's layer: it
is simply reinstalled next time.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path, PurePosixPath


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution_names(site: Path) -> set[str]:
    names = set()
    for info in site.glob("*.dist-info"):
        names.add(_normalized(info.name[: -len(".dist-info")].rsplit("-", 1)[0]))
    return names


def _record_entries(info: Path) -> tuple[set[str], set[str]] | None:
    """(top-level names in site-packages, script names in bin) of one distribution."""
    try:
        with open(info / "RECORD", newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    except OSError:
        return None
    top_level, scripts = set(), set()
    for row in rows:
        if not row:
            continue
        parts = PurePosixPath(row[0]).parts
        if parts and parts[0] == "..":
            if len(parts) >= 2 and parts[-2] == "bin" and all(p == ".." for p in parts[:-2]):
                scripts.add(parts[-1])
                continue
            return None  # data files elsewhere: leave this one alone
        if parts and parts[0] != "__pycache__":
            top_level.add(parts[0])
    return top_level, scripts


def promote_distributions(site: Path, bin_dir: Path, base_site: Path, base_bin: Path) -> list[str]:
    """Names of the distributions moved from (site, bin_dir) into (base_site, base_bin)."""
    present = _distribution_names(base_site)
    moved = []
    for info in sorted(site.glob("*.dist-info")):
        name = _normalized(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
        entries = _record_entries(info)
        if name in present or entries is None:
            continue
        top_level, scripts = entries
        if any((base_site / entry).exists() for entry in top_level):
            continue
        if any((base_bin / script).exists() for script in scripts):
            continue
        for script in scripts:
            _move_script(bin_dir / script, base_bin / script, bin_dir, base_bin)
        for entry in sorted(top_level, key=lambda e: e.endswith(".dist-info")):
            source = site / entry
            if source.exists():
                source.rename(base_site / entry)  # the dist-info last: installed once complete
        present.add(name)
        moved.append(name)
    return moved


def _move_script(source: Path, target: Path, old_bin: Path, new_bin: Path) -> None:
    if not source.is_file():
        return
    data = source.read_bytes()
    first, newline, rest = data.partition(b"\n")
    if first.startswith(b"#!"):
        first = first.replace(str(old_bin).encode(), str(new_bin).encode())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(first + newline + rest)
    target.chmod(source.stat().st_mode & 0o777)
    source.unlink()
