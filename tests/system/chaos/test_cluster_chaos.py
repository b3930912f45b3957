"""Cluster chaos: several scheduler + worker processes share one database while we SIGKILL them
one after another (and, on PostgreSQL, crash-restart the server); afterwards every slot of every
schedule has exactly one run, every run is finished, and no concurrency limit was ever exceeded.

The schedules fire every second or two between a fixed ``start_at`` and ``end_at``, so the set of
slots each must have is finite and computed independently here with croniter. Every slot ends as
one row whatever became of it (ran, retried, failed, skipped for overlap, missed during an outage
or a misfire), so the comparison is over all rows of the schedule, in any state.

A sampler polls the ``runs`` table twice a second over its own connection: running runs per
organization never above its ``max_concurrent_runs``, per schedule never above what its overlap
policy allows (one, except ``allow``), and in total never above the global limit.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from croniter import croniter

from cronwright import actions, domain, service
from cronwright.clock import SystemClock
from cronwright.store import migrations
from cronwright.store.catalog import sql_catalog
from cronwright.store.database import dialect
from cronwright.store.database.schema import RunRow
from cronwright.testing.postgres import PostgresCluster, PostgresUnavailableError
from tests.system.chaos import node

# Chaos runs share one xdist worker (--dist loadgroup): two at once on two cores would
# measure the machine.
pytestmark = [pytest.mark.chaos, pytest.mark.xdist_group("chaos")]

REPO = Path(__file__).parents[3]
REQUIRE_POSTGRES = os.environ.get("CRONWRIGHT_REQUIRE_POSTGRES") == "1"
LEAD = timedelta(seconds=4)  # from creating the schedules to their first slot
WINDOW = timedelta(seconds=32)  # start_at .. end_at of every schedule
KILL_EVERY = (1.5, 3.0)  # seconds between two SIGKILLs, drawn uniformly: ~14 in the window
DRAIN_FOR = 60.0  # seconds allowed after end_at for every run to finish
SAMPLE_EVERY = 0.5
GLOBAL_LIMIT = 8
CONCURRENCY = 4  # per node
LEASE = 4.0
HEARTBEAT = 1.0
TERMINAL = frozenset(
    {
        domain.RunState.SUCCEEDED,  # ran (possibly after retries)
        domain.RunState.FAILED,  # attempts used up: workers killed mid-run more than max_attempts
        domain.RunState.TIMED_OUT,  # not expected with these actions, but an honest end
        domain.RunState.CANCELLED,  # cancel_previous: a newer slot took over
        domain.RunState.SKIPPED,  # skip/buffer_one: the previous run was still going
        domain.RunState.MISSED,  # catch-up after an outage, or started beyond the misfire grace
    }
)
# One run at a time per schedule under every policy but ``allow`` (``cancel_previous`` cancels
# the running one in the same transaction that starts the next).
ONE_AT_A_TIME = frozenset(domain.OverlapPolicy) - {domain.OverlapPolicy.ALLOW}


@dataclass(frozen=True, slots=True)
class Org:
    name: str
    max_concurrent_runs: int
    schedules: tuple[
        tuple[str, domain.OverlapPolicy, float, float], ...
    ]  # cron, overlap, sleep, jitter


ORGS = (
    Org(
        "acme",
        3,
        (
            ("* * * * * *", domain.OverlapPolicy.ALLOW, 0.6, 0),
            ("*/2 * * * * *", domain.OverlapPolicy.SKIP, 3.0, 0),
            ("* * * * * *", domain.OverlapPolicy.BUFFER_ONE, 1.5, 0),
            ("*/2 * * * * *", domain.OverlapPolicy.BUFFER_ALL, 1.0, 0),
            ("* * * * * *", domain.OverlapPolicy.CANCEL_PREVIOUS, 1.5, 0),
        ),
    ),
    Org(
        "globex",
        4,
        (
            ("* * * * * *", domain.OverlapPolicy.ALLOW, 0.2, 0.8),
            ("*/2 * * * * *", domain.OverlapPolicy.SKIP, 2.5, 1.0),
            ("1-59/2 * * * * *", domain.OverlapPolicy.ALLOW, 1.0, 0),
            ("*/3 * * * * *", domain.OverlapPolicy.BUFFER_ONE, 4.0, 0),
            ("* * * * * *", domain.OverlapPolicy.CANCEL_PREVIOUS, 0.5, 0.5),
        ),
    ),
    Org(
        "initech",
        100,
        (
            ("* * * * * *", domain.OverlapPolicy.ALLOW, 0, 0),
            ("*/2 * * * * *", domain.OverlapPolicy.ALLOW, 0.1, 1.5),
            ("5-55/5 * * * * *", domain.OverlapPolicy.SKIP, 6.0, 0),
            ("*/2 * * * * *", domain.OverlapPolicy.BUFFER_ALL, 0.3, 0),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Planned:
    schedule: domain.Schedule
    org: Org
    expected: frozenset[datetime]


@dataclass
class Limits:
    """The most running runs seen at once, per organization, per schedule and in total."""

    by_org: collections.Counter[int] = field(default_factory=collections.Counter)
    by_schedule: collections.Counter[int] = field(default_factory=collections.Counter)
    total: int = 0
    samples: int = 0
    failed_samples: int = 0

    def record(self, rows: list[tuple[int, int, int]]) -> None:
        by_org: collections.Counter[int] = collections.Counter()
        for org_id, schedule_id, running in rows:
            by_org[org_id] += running
            self.by_schedule[schedule_id] = max(self.by_schedule[schedule_id], running)
        for org_id, running in by_org.items():
            self.by_org[org_id] = max(self.by_org[org_id], running)
        self.total = max(self.total, sum(by_org.values()))
        self.samples += 1


def expected_slots(cron: str, start_at: datetime, end_at: datetime) -> frozenset[datetime]:
    """The oracle: croniter (seconds first), not cronwright's own cron engine."""
    found = []
    it = croniter(cron, start_at - timedelta(seconds=1), second_at_beginning=True)
    while (at := it.get_next(datetime)) <= end_at:
        if at >= start_at:
            found.append(at.astimezone(UTC))
    return frozenset(found)


def create_world(url: str, start_at: datetime, end_at: datetime) -> list[Planned]:
    store = sql_catalog.SqlCatalog.from_url(url)
    functions = actions.PythonFunctions()
    functions.register(node.ACTION, node.work)
    svc = service.Service.build(
        store, SystemClock(), check_config=actions.default_registry(functions).check_config
    )
    planned = []
    try:
        for org in ORGS:
            created = svc.organizations.create(
                org.name, max_concurrent_runs=org.max_concurrent_runs
            )
            for n, (cron, overlap, sleep, jitter) in enumerate(org.schedules):
                workflow = svc.workflows.create(
                    created.id,
                    name=f"work {n}",
                    definition={
                        "steps": [
                            {"name": "work", "kind": "python", "config": {"function": node.ACTION}}
                        ]
                    },
                )
                spec = domain.ScheduleSpec(
                    workflow_id=workflow.id,
                    name=f"{org.name} {n} {overlap.value}",
                    cron=cron,
                    start_at=start_at,
                    end_at=end_at,
                    input={"sleep": sleep},
                    overlap=overlap,
                    jitter=timedelta(seconds=jitter),
                    max_attempts=3,
                    backoff_initial=timedelta(seconds=1),
                    backoff_max=timedelta(seconds=2),
                    timeout=timedelta(seconds=30),
                )
                schedule = svc.schedules.create(created.id, spec, author="chaos")
                planned.append(Planned(schedule, org, expected_slots(cron, start_at, end_at)))
    finally:
        store.close()
    return planned


class Cluster:
    """The node processes, restarted after each kill; any other exit is a crash."""

    def __init__(
        self,
        url: str,
        count: int,
        logs: Path,
        *,
        skews: Sequence[float] = (),
        executions: Path | None = None,
    ) -> None:
        self.url = url
        self.logs = logs
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self.crashes: list[str] = []
        self._started = 0
        self._skews = list(skews) or [0.0]
        self._env = dict(os.environ)
        if executions is not None:
            self._env["CHAOS_EXECUTIONS"] = str(executions)
        for index in range(count):
            self.nodes.append(self._spawn(index))

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        self._started += 1
        log = (self.logs / f"node-{self._started}.log").open("wb")
        command = [sys.executable, "-m", "tests.system.chaos.node", self.url]
        command += ["--concurrency", str(CONCURRENCY), "--global-limit", str(GLOBAL_LIMIT)]
        command += ["--lease", str(LEASE), "--heartbeat", str(HEARTBEAT)]
        command += ["--skew", str(self._skews[index % len(self._skews)])]
        with log:
            return subprocess.Popen(
                command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self._env
            )

    def check(self) -> None:
        """Restart any node that exited by itself, and remember it."""
        for index, process in enumerate(self.nodes):
            if process.poll() is not None:
                self.crashes.append(f"node pid {process.pid} exited with {process.returncode}")
                self.nodes[index] = self._spawn(index)

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.nodes))
        self.nodes[index].send_signal(signal.SIGKILL)
        self.nodes[index].wait()
        self.kills += 1
        self.nodes[index] = self._spawn(index)

    def stop(self) -> list[int | None]:
        """SIGTERM every node (graceful shutdown); their exit codes."""
        for process in self.nodes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.nodes:
            try:
                codes.append(process.wait(timeout=20))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                codes.append(None)
        return codes

    def log_tail(self, lines: int = 30) -> str:
        text = []
        for path in sorted(self.logs.glob("node-*.log")):
            content = path.read_text(errors="replace").splitlines()
            if content:
                text.append(f"--- {path.name}\n" + "\n".join(content[-lines:]))
        return "\n".join(text)


def sample_limits(url: str, limits: Limits, stop: threading.Event) -> None:
    engine = dialect.create_engine(url)
    query = (
        sa.select(RunRow.org_id, RunRow.schedule_id, sa.func.count())
        .where(RunRow.state == domain.RunState.RUNNING.value)
        .group_by(RunRow.org_id, RunRow.schedule_id)
    )
    try:
        while not stop.wait(SAMPLE_EVERY):
            try:
                with engine.connect() as connection:  # one statement: one consistent snapshot
                    found = [(o, s or 0, c) for o, s, c in connection.execute(query)]
            except sa.exc.DBAPIError:  # the server is restarting
                limits.failed_samples += 1
                continue
            limits.record(found)
    finally:
        engine.dispose()


def unfinished(url: str) -> int:
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.select(sa.func.count()).where(
                RunRow.state.in_([domain.RunState.PENDING.value, domain.RunState.RUNNING.value])
            )
            return int(connection.execute(query).scalar_one())
    except sa.exc.DBAPIError:
        return -1
    finally:
        engine.dispose()


def run_chaos(
    url: str,
    tmp_path: Path,
    *,
    nodes: int,
    restart_database: list[tuple[float, PostgresCluster]] | None = None,
    kills: bool = True,
    skews: Sequence[float] = (),
) -> collections.Counter[tuple[int, int]]:
    """Create the world, start ``nodes`` processes (node ``i`` with its host clock ``skews[i]``
    seconds off), kill them one after another until the schedules end (unless ``kills`` is
    off; restarting the database at the given offsets), drain, check everything. Returns how
    many times each (run, attempt) was executed to its end."""
    migrations.upgrade(url)
    start_at = (datetime.now(UTC) + LEAD).replace(microsecond=0)
    end_at = start_at + WINDOW
    planned = create_world(url, start_at, end_at)
    rng = random.Random(os.environ.get("CHAOS_SEED", "cronwright"))
    limits = Limits()
    stop_sampling = threading.Event()
    sampler = threading.Thread(target=sample_limits, args=(url, limits, stop_sampling))
    sampler.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    executions = tmp_path / "executions.txt"
    cluster = Cluster(url, nodes, logs, skews=skews, executions=executions)
    restarts = sorted(restart_database or [], key=lambda item: item[0])
    begun = time.monotonic()
    try:
        next_kill = time.monotonic() + rng.uniform(*KILL_EVERY)
        while datetime.now(UTC) < end_at + timedelta(seconds=2):
            time.sleep(0.1)
            cluster.check()
            if restarts and time.monotonic() - begun >= restarts[0][0]:
                _, pg = restarts.pop(0)
                pg.restart(mode="immediate")
            if kills and time.monotonic() >= next_kill:
                cluster.kill_one(rng)
                next_kill = time.monotonic() + rng.uniform(*KILL_EVERY)
        deadline = time.monotonic() + DRAIN_FOR
        while (left := unfinished(url)) != 0 and time.monotonic() < deadline:
            cluster.check()
            time.sleep(0.5)
        assert left == 0, f"{left} runs still pending or running\n{cluster.log_tail()}"
    finally:
        stop_sampling.set()
        sampler.join()
        exit_codes = cluster.stop()
    assert not restarts, "the database restarts did not all happen"
    assert cluster.crashes == [], f"nodes crashed: {cluster.crashes}\n{cluster.log_tail()}"
    assert exit_codes == [0] * nodes, f"graceful stop: {exit_codes}\n{cluster.log_tail()}"
    assert cluster.kills >= 10 or not kills
    states = check_runs(url, planned)
    check_limits(planned, limits)
    print(  # shown with -s: what the chaos did
        f"\nchaos: {cluster.kills} kills, {limits.samples} samples ({limits.failed_samples} "
        f"failed), most running: total {limits.total}, by org {dict(limits.by_org)}; "
        f"runs: {dict(sorted((s.value, n) for s, n in states.items()))}; logs in {logs}"
    )
    done = executions.read_text().split("\n") if executions.exists() else []
    return collections.Counter(
        (int(run), int(attempt)) for run, attempt, _pid in (line.split() for line in done if line)
    )


def check_runs(url: str, planned: list[Planned]) -> collections.Counter[domain.RunState]:
    engine = dialect.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.select(RunRow.schedule_id, RunRow.scheduled_for, RunRow.state, RunRow.trigger)
            ).all()
            distinct = connection.execute(
                sa.select(sa.func.count()).select_from(
                    sa.select(RunRow.schedule_id, RunRow.scheduled_for).distinct().subquery()
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert len(found) == distinct, "two runs share a (schedule, slot)"
    assert {row.trigger for row in found} == {domain.Trigger.SCHEDULE.value}
    slots: dict[int, list[datetime]] = collections.defaultdict(list)
    for row in found:
        slots[row.schedule_id].append(row.scheduled_for)
    states = collections.Counter(domain.RunState(row.state) for row in found)
    assert set(states) <= TERMINAL, states
    assert states[domain.RunState.SUCCEEDED] > len(found) // 3, states
    assert set(slots) == {p.schedule.id for p in planned}
    for p in planned:
        got = slots[p.schedule.id]
        assert len(got) == len(set(got)), f"duplicate slots for {p.schedule.spec.name}"
        missing = sorted(p.expected - set(got))
        extra = sorted(set(got) - p.expected)
        assert not missing, (p.schedule.spec.name, "slots without a run", missing[:5])
        assert not extra, (p.schedule.spec.name, "runs for no slot", extra[:5])
    return states


def check_limits(planned: list[Planned], limits: Limits) -> None:
    assert limits.samples >= 60, limits
    org_limits = {int(p.schedule.org_id): p.org.max_concurrent_runs for p in planned}
    for org_id, most in limits.by_org.items():
        assert most <= org_limits[org_id], (org_id, most, org_limits[org_id])
    for p in planned:
        if p.schedule.spec.overlap in ONE_AT_A_TIME:
            assert limits.by_schedule[p.schedule.id] <= 1, (p.schedule.spec.name, limits)
    assert limits.total <= GLOBAL_LIMIT, limits
    # The limits were reached, so the check above had something to hold.
    assert max(limits.by_org.values()) >= 3, limits


@pytest.fixture
def chaos_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of the test's own: it is restarted under load."""
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailableError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (CRONWRIGHT_REQUIRE_POSTGRES=1): {exc}")
        pytest.skip(f"PostgreSQL is not available: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.postgres
def test_four_nodes_on_postgresql_survive_kills_and_server_crashes(
    chaos_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = chaos_cluster.create_database("chaos")
    run_chaos(
        url, tmp_path, nodes=4, restart_database=[(10.0, chaos_cluster), (22.0, chaos_cluster)]
    )


@pytest.mark.postgres
def test_nodes_whose_host_clocks_are_a_minute_apart_run_every_slot_once(
    chaos_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """Three hosts: one 60 s behind, one on time, one 60 s ahead. Every time comparison uses
    the database's clock, so no lease looks expired to another host's reaper: no execution is
    repeated, and no slot is lost."""
    url = chaos_cluster.create_database("chaos_skew")
    executed = run_chaos(url, tmp_path, nodes=3, kills=False, skews=(-60.0, 0.0, 60.0))
    assert executed, "nothing was executed"
    repeated = {key: count for key, count in executed.items() if count > 1}
    assert repeated == {}, f"(run, attempt) executed more than once: {repeated}"
    retried = sorted({run for run, attempt in executed if attempt > 1})
    assert retried == [], f"runs executed again after a first attempt: {retried[:10]}"


def test_three_nodes_on_one_sqlite_file_survive_kills(tmp_path: Path) -> None:
    run_chaos(f"sqlite:///{tmp_path / 'chaos.db'}", tmp_path, nodes=3)
