"""The integrator lease: one holder at a time per registry, released when its holder lets go or dies by kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import Engine

from candor.store.database import create_database_engine
from candor.store.integrator_lease import IntegratorLease
from tests.conftest import REPO
from tests.dbfixtures import new_postgres_schema

#: Takes the lease, says so, and holds it until killed.
HOLDER = """
import sys, time
from candor.store.database import create_database_engine
from candor.store.integrator_lease import IntegratorLease

lease = IntegratorLease(create_database_engine(sys.argv[1]))
print("held" if lease.try_take() else "refused", flush=True)
time.sleep(600)
"""


def test_only_one_lease_is_held_at_a_time_and_a_released_one_is_taken_by_the_next(migrated_engine: Engine) -> None:
    first, second = IntegratorLease(migrated_engine), IntegratorLease(migrated_engine)
    assert first.try_take()
    assert first.try_take()  # asked again, the holder still holds it
    assert not second.try_take()
    assert not second.held
    first.release()
    assert not first.held
    assert second.try_take()
    assert not first.try_take()
    second.release()


def test_a_holder_killed_with_kill_9_leaves_the_lease_to_the_next(database_url: str, migrated_engine: Engine) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        lease = IntegratorLease(migrated_engine)
        assert not lease.try_take()  # control: while the holder lives, nobody else gets it
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        # PostgreSQL ends the dead client's session as soon as it sees the socket closed; the kernel drops the flock
        # with the process. Either way the next try succeeds, within moments.
        for _ in range(200):
            if lease.try_take():
                break
            time.sleep(0.05)
        assert lease.held
        lease.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_registries_in_other_postgres_schemas_have_leases_of_their_own(postgres_schema_url: str) -> None:
    engine = create_database_engine(postgres_schema_url)
    with new_postgres_schema() as other_url:
        other = create_database_engine(other_url)
        try:
            here, there = IntegratorLease(engine), IntegratorLease(other)
            assert here.try_take()
            assert there.try_take()
            assert not IntegratorLease(engine).try_take()  # control: the same schema's lease is taken
            here.release()
            there.release()
        finally:
            other.dispose()
            engine.dispose()
