"""CloudWatch Logs storage: log groups, their log streams and the streams' events, in SQLite.

Everything that reads or writes logs goes through a `LogStore`: the Logs HTTP API, and other
services of the cloud that produce logs themselves (the training-job runner is to write each job's
lines into `/aws/sagemaker/TrainingJobs`). Get the store with `open_store(home)`; it hands out
one store per home, so every user in the process shares it. Building a second store over the
same file (another process, a test) is safe too: each write is a single `BEGIN IMMEDIATE`
transaction, and event sequence numbers are allocated by SQLite inside it.

Events are kept in (timestamp, seq) order, where `seq` grows with every event stored, so events
with equal timestamps stay in the order they were ingested. That pair is the position that
pagination tokens refer to.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.records import (
    PAGE_BYTES,
    LogEvent,
    LogGroup,
    LogStream,
    StreamSelection,
    event_size,
    now_ms,
)
from mlci.cloud.services.logs.schema import MIGRATIONS
from mlci.sqlite import Database

DB_NAME = "logs.db"
GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."
_NO_END = 2**63 - 1
ALL = -1  # as a limit: no limit

_GROUP_COLUMNS = (
    "g.id, g.name, g.created_ms, g.log_group_class, g.kms_key_id, "
    "(SELECT coalesce(sum(stored_bytes), 0) FROM log_streams WHERE group_id = g.id)"
)
_STREAM_COLUMNS = (
    "id, group_id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, "
    "stored_bytes, uploads"
)
_EVENT_COLUMNS = "seq, stream_id, timestamp_ms, ingestion_ms, message"


class LogStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)

    # -- log groups ----------------------------------------------------------------------------

    def create_group(
        self,
        name: str,
        *,
        log_group_class: str = "STANDARD",
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LogGroup:
        """Raise ResourceAlreadyExistsException if the group exists."""
        try:
            with self.db.write() as conn:
                conn.execute(
                    "INSERT INTO log_groups (name, created_ms, log_group_class, kms_key_id, tags)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (name, now_ms(), log_group_class, kms_key_id, json.dumps(dict(tags or {}))),
                )
        except sqlite3.IntegrityError:
            raise AwsError(
                "ResourceAlreadyExistsException", "The specified log group already exists"
            ) from None
        return self.group(name)

    def find_group(self, name: str) -> LogGroup | None:
        row = self.db.query_one(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g WHERE name = ?", (name,)
        )
        return LogGroup(*row) if row else None

    def group(self, name: str) -> LogGroup:
        found = self.find_group(name)
        if found is None:
            raise AwsError("ResourceNotFoundException", GROUP_NOT_FOUND)
        return found

    def delete_group(self, name: str) -> None:
        """Delete the group with its streams and events (foreign keys cascade)."""
        with self.db.write() as conn:
            if conn.execute("DELETE FROM log_groups WHERE name = ?", (name,)).rowcount == 0:
                raise AwsError("ResourceNotFoundException", GROUP_NOT_FOUND)

    def list_groups(
        self,
        *,
        prefix: str | None = None,
        contains: str | None = None,
        names: Sequence[str] | None = None,
        log_group_class: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[LogGroup]:
        """Groups in name order (binary, i.e. ASCII order), after the name `after`."""
        clauses, params = ["1"], []
        if prefix is not None:
            clauses.append(_PREFIX_SQL.format(column="name"))
            params += _prefix_params(prefix)
        if contains is not None:
            clauses.append("instr(name, ?) > 0")
            params.append(contains)
        if names is not None:
            clauses.append(f"name IN ({', '.join('?' for _ in names)})")
            params += names
        if log_group_class is not None:
            clauses.append("log_group_class = ?")
            params.append(log_group_class)
        if after is not None:
            clauses.append("name > ?")
            params.append(after)
        sql = (
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g WHERE {' AND '.join(clauses)}"
            " ORDER BY name LIMIT ?"
        )
        return [LogGroup(*row) for row in self.db.query(sql, [*params, limit])]

    # -- log streams ---------------------------------------------------------------------------

    def create_stream(self, group_name: str, stream_name: str) -> LogStream:
        """Raise ResourceNotFoundException without the group, ...AlreadyExists with the stream."""
        with self.db.write() as conn:
            group_id = _group_id(conn, group_name)
            try:
                conn.execute(
                    "INSERT INTO log_streams (group_id, name, created_ms) VALUES (?, ?, ?)",
                    (group_id, stream_name, now_ms()),
                )
            except sqlite3.IntegrityError:
                raise AwsError(
                    "ResourceAlreadyExistsException", "The specified log stream already exists"
                ) from None
        return self.stream(group_name, stream_name)

    def ensure_stream(self, group_name: str, stream_name: str) -> LogStream:
        """Create the group and the stream if they do not exist yet (the in-process API)."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO log_groups (name, created_ms, log_group_class, tags)"
                " VALUES (?, ?, 'STANDARD', '{}')",
                (group_name, now_ms()),
            )
            conn.execute(
                "INSERT OR IGNORE INTO log_streams (group_id, name, created_ms) VALUES (?, ?, ?)",
                (_group_id(conn, group_name), stream_name, now_ms()),
            )
        return self.stream(group_name, stream_name)

    def stream(self, group_name: str, stream_name: str) -> LogStream:
        with self.db.read() as conn:
            group_id = _group_id(conn, group_name)
            row = conn.execute(
                f"SELECT {_STREAM_COLUMNS} FROM log_streams WHERE group_id = ? AND name = ?",
                (group_id, stream_name),
            ).fetchone()
        if row is None:
            raise AwsError("ResourceNotFoundException", STREAM_NOT_FOUND)
        return LogStream(*row)

    def delete_stream(self, group_name: str, stream_name: str) -> None:
        with self.db.write() as conn:
            group_id = _group_id(conn, group_name)
            deleted = conn.execute(
                "DELETE FROM log_streams WHERE group_id = ? AND name = ?", (group_id, stream_name)
            ).rowcount
            if deleted == 0:
                raise AwsError("ResourceNotFoundException", STREAM_NOT_FOUND)

    def list_streams(
        self,
        group: LogGroup,
        *,
        selection: StreamSelection | None = None,
        by_last_event: bool = False,
        descending: bool = False,
        after: tuple[int, str] | None = None,
        limit: int = 50,
    ) -> list[LogStream]:
        """Streams by name, or by (last event time, name); `after` is the previous page's last
        sort key ((0, name) when ordering by name)."""
        keys = ["coalesce(last_event_ms, 0)", "name"] if by_last_event else ["name"]
        clauses, params = _selection_sql(selection or StreamSelection(), "name")
        if after is not None:
            clauses.append(
                f"({', '.join(keys)}) {'<' if descending else '>'} ({', '.join('?' for _ in keys)})"
            )
            params += after[-len(keys) :]
        order = " DESC" if descending else ""
        sql = (
            f"SELECT {_STREAM_COLUMNS} FROM log_streams WHERE group_id = ? AND "
            f"{' AND '.join(clauses)} ORDER BY {', '.join(k + order for k in keys)} LIMIT ?"
        )
        return [LogStream(*row) for row in self.db.query(sql, [group.id, *params, limit])]

    # -- events --------------------------------------------------------------------------------

    def append(
        self, group_name: str, stream_name: str, events: Sequence[tuple[int, str]]
    ) -> LogStream:
        """Store (timestamp in epoch ms, message) events in one transaction; return the stream
        as it is afterwards (its `uploads` counts the batches it has received).

        The in-process API applies none of PutLogEvents' batch rules (order, age, size); events
        are read back in timestamp order whatever order they were appended in."""
        for timestamp, message in events:
            if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
                raise ValueError(f"event timestamp must be epoch milliseconds, got {timestamp!r}")
            if not isinstance(message, str):
                raise ValueError(f"event message must be a string, got {type(message).__name__}")
        ingested = now_ms()
        with self.db.write() as conn:
            stream = _stream_row(conn, group_name, stream_name)
            conn.executemany(
                "INSERT INTO log_events (stream_id, group_id, timestamp_ms, ingestion_ms, message)"
                " VALUES (?, ?, ?, ?, ?)",
                [(stream.id, stream.group_id, ts, ingested, msg) for ts, msg in events],
            )
            _record_upload(conn, stream.id, events, ingested)
        return self.stream(group_name, stream_name)

    def events_after(
        self,
        stream_id: int,
        position: tuple[int, int],
        *,
        start: int = 0,
        end: int | None = None,
        limit: int,
    ) -> list[LogEvent]:
        """Up to `limit` events (and at most PAGE_BYTES) after `position`, oldest first,
        with start <= timestamp < end."""
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE stream_id = ? "
            "AND (timestamp_ms, seq) > (?, ?) AND timestamp_ms >= ? AND timestamp_ms < ? "
            "ORDER BY timestamp_ms, seq LIMIT ?"
        )
        params = (stream_id, *position, start, _end(end), limit)
        return _read_capped(self.db.conn.execute(sql, params))

    def events_upto(
        self,
        stream_id: int,
        position: tuple[int, int],
        *,
        start: int = 0,
        end: int | None = None,
        limit: int,
    ) -> list[LogEvent]:
        """The newest `limit` events (at most PAGE_BYTES) at or before `position`, returned
        oldest first, with start <= timestamp < end."""
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE stream_id = ? "
            "AND (timestamp_ms, seq) <= (?, ?) AND timestamp_ms >= ? AND timestamp_ms < ? "
            "ORDER BY timestamp_ms DESC, seq DESC LIMIT ?"
        )
        params = (stream_id, *position, start, _end(end), limit)
        return list(reversed(_read_capped(self.db.conn.execute(sql, params))))

    def group_events_after(
        self,
        group: LogGroup,
        position: tuple[int, int],
        *,
        selection: StreamSelection,
        end: int | None = None,
        limit: int,
    ) -> list[LogEvent]:
        """Up to `limit` events of the selected streams after `position` with timestamp < end,
        across streams in (timestamp, seq) order, each with its stream's name. No byte cap:
        callers filter these before they page them."""
        clauses, params = _selection_sql(selection, "s.name")
        sql = (
            "SELECT e.seq, e.stream_id, e.timestamp_ms, e.ingestion_ms, e.message, s.name"
            " FROM log_events e JOIN log_streams s ON s.id = e.stream_id"
            " WHERE e.group_id = ? AND (e.timestamp_ms, e.seq) > (?, ?) AND e.timestamp_ms < ?"
            f" AND {' AND '.join(clauses)} ORDER BY e.timestamp_ms, e.seq LIMIT ?"
        )
        args = [group.id, *position, _end(end), *params, limit]
        return [LogEvent(*row) for row in self.db.query(sql, args)]

    def close(self) -> None:
        self.db.close()


_PREFIX_SQL = "({column} >= ? AND substr({column}, 1, ?) = ?)"


def _prefix_params(prefix: str) -> list[object]:
    # substr() counts characters, as len() does, so the comparison is exact; the range start
    # lets SQLite seek in the name index.
    return [prefix, len(prefix), prefix]


def _selection_sql(selection: StreamSelection, column: str) -> tuple[list[str], list[object]]:
    clauses: list[str] = ["1"]
    params: list[object] = []
    if selection.prefix is not None:
        clauses.append(_PREFIX_SQL.format(column=column))
        params += _prefix_params(selection.prefix)
    if selection.names is not None:
        clauses.append(f"{column} IN ({', '.join('?' for _ in selection.names) or 'NULL'})")
        params += selection.names
    return clauses, params


def _end(end: int | None) -> int:
    return _NO_END if end is None else end


def _read_capped(cursor: sqlite3.Cursor) -> list[LogEvent]:
    """Rows until the page would exceed PAGE_BYTES; always at least one."""
    events: list[LogEvent] = []
    total = 0
    for row in cursor:
        event = LogEvent(*row)
        total += event_size(event.message)
        if events and total > PAGE_BYTES:
            break
        events.append(event)
    cursor.close()
    return events


def _group_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM log_groups WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise AwsError("ResourceNotFoundException", GROUP_NOT_FOUND)
    return int(row[0])


def _stream_row(conn: sqlite3.Connection, group_name: str, stream_name: str) -> LogStream:
    row = conn.execute(
        f"SELECT {_STREAM_COLUMNS} FROM log_streams WHERE group_id = ? AND name = ?",
        (_group_id(conn, group_name), stream_name),
    ).fetchone()
    if row is None:
        raise AwsError("ResourceNotFoundException", STREAM_NOT_FOUND)
    return LogStream(*row)


def _record_upload(
    conn: sqlite3.Connection, stream_id: int, events: Sequence[tuple[int, str]], ingested: int
) -> None:
    """Keep the stream's summary (first/last event time, bytes, batch count) current."""
    stamps = [ts for ts, _ in events]
    conn.execute(
        "UPDATE log_streams SET uploads = uploads + 1,"
        " first_event_ms = coalesce(min(first_event_ms, ?1), first_event_ms, ?1),"
        " last_event_ms = coalesce(max(last_event_ms, ?2), last_event_ms, ?2),"
        " last_ingestion_ms = coalesce(?3, last_ingestion_ms),"
        " stored_bytes = stored_bytes + ?4 WHERE id = ?5",
        (
            min(stamps) if stamps else None,
            max(stamps) if stamps else None,
            ingested if stamps else None,
            sum(len(msg.encode("utf-8")) for _, msg in events),
            stream_id,
        ),
    )


_stores: dict[Path, LogStore] = {}
_stores_lock = threading.Lock()


def open_store(home: Path) -> LogStore:
    """The cloud's log store under `home` (home/logs.db), shared by everyone in the process:
    the Logs service's create() and any other service that writes logs call this."""
    path = (home / DB_NAME).resolve()
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            store = _stores[path] = LogStore(path)
        return store
