"""Witness cosignatures on the log's checkpoints, kept in the database so that every app server serves the same
cosigned checkpoint."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, String, Text, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.store.tables import Base, Checkpoint


class CheckpointCosignature(Base):
    """One witness's ``cosignature/v1`` line on the checkpoint of one size."""

    __tablename__ = "checkpoint_cosignatures"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The witness key's name and id (``name+hex8``): two keys of one witness are two witnesses.
    witness: Mapped[str] = mapped_column(String(300), primary_key=True)
    line: Mapped[str] = mapped_column(Text)


def record_cosignature(session: Session, size: int, witness: str, line: str) -> None:
    """Keep a witness's (verified) cosignature line; a second one for the same size and witness keeps the first."""
    values = {"size": size, "witness": witness, "line": line}
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CheckpointCosignature).values(values).on_conflict_do_nothing())


def cosignatures(session: Session, size: int) -> dict[str, str]:
    rows = session.scalars(select(CheckpointCosignature).where(CheckpointCosignature.size == size))
    return {row.witness: row.line for row in rows}


def newest_cosigned(session: Session, witnesses: Sequence[str], quorum: int) -> tuple[str, list[str]] | None:
    """The newest recorded checkpoint (its note) that at least ``quorum`` of ``witnesses`` cosigned, and their lines."""
    rows = session.execute(select(Checkpoint.size, Checkpoint.note).order_by(Checkpoint.size.desc()).limit(1000)).all()
    for size, note in rows:
        lines = [line for witness, line in sorted(cosignatures(session, size).items()) if witness in witnesses]
        if len(lines) >= quorum:
            return note, lines
    return None
