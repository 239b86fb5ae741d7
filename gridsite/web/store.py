"""The run index: one row per run or sweep, in SQLite under ``--data`` (SQLAlchemy 2).

The files of a run live in ``runs/<id>/`` (written by :func:`gridsite.write_run`) and its inputs in
``jobs/<id>/``; the index holds what lists and filters need: kind, name, status, times, message and headline
figures. Statuses: ``queued`` → ``running`` → ``done`` | ``failed``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Float, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

STATUSES = ("queued", "running", "done", "failed")


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="run")  # run | sweep
    name: Mapped[str] = mapped_column(String(200), default="")
    region_set: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    submitted: Mapped[float] = mapped_column(Float, default=time.time)
    started: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished: Mapped[float | None] = mapped_column(Float, nullable=True)
    headline: Mapped[str] = mapped_column(Text, default="{}")  # JSON: total cost, emissions, currency

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "region_set": self.region_set,
            "status": self.status,
            "message": self.message,
            "submitted": self.submitted,
            "started": self.started,
            "finished": self.finished,
            "headline": json.loads(self.headline or "{}"),
        }


class RunIndex:
    """The index of runs over one SQLite file; safe to use from the server's threads."""

    def __init__(self, url: str):
        self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(self.engine, "connect")
        def _wal(dbapi_conn, _rec) -> None:  # readers do not block the writer
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session.begin() as s:
            yield s

    def add(self, row: RunRow) -> None:
        with self.session() as s:
            s.add(row)

    def get(self, run_id: str) -> RunRow | None:
        with self.session() as s:
            return s.get(RunRow, run_id)

    def update(self, run_id: str, **values: Any) -> RunRow | None:
        with self.session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                return None
            for k, v in values.items():
                setattr(row, k, v)
            return row

    def list(self, status: str | None = None, kind: str | None = None, text: str | None = None) -> list[RunRow]:
        q = select(RunRow).order_by(RunRow.submitted.desc())
        if status:
            q = q.where(RunRow.status == status)
        if kind:
            q = q.where(RunRow.kind == kind)
        if text:
            q = q.where(RunRow.name.contains(text) | RunRow.region_set.contains(text))
        with self.session() as s:
            return list(s.scalars(q))

    def count_active(self) -> int:
        with self.session() as s:
            return len(list(s.scalars(select(RunRow.id).where(RunRow.status.in_(("queued", "running"))))))
