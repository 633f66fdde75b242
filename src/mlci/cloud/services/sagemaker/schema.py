"""Named schema migrations, contributed by each operation module.

`Database` numbers its migrations by position, which works for one author but not for modules
added independently: a new module inserting its tables must not renumber anyone else's. So
each module declares its own `MIGRATIONS` as named steps; a step runs once, the first time the
cloud starts with it, and is recorded by name. Within a module, steps run in the order given.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from mlci.sqlite import Database


@dataclass(frozen=True)
class Migration:
    name: str  # unique across the service, e.g. "models-1"
    script: str  # DDL statements separated by ';' (no string literals containing ';')


def apply(db: Database, migrations: Iterable[Migration]) -> None:
    with db.write() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sagemaker_migrations "
            "(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM sagemaker_migrations")}
        for migration in migrations:
            if migration.name in done:
                continue
            for statement in migration.script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO sagemaker_migrations (name, applied_at) VALUES (?, ?)",
                (migration.name, time.time()),
            )
            done.add(migration.name)
