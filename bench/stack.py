"""The bench's private stack: its own database, its own Redis, the emulators behind a gunicorn of
their own (with a fixed added latency per call and, for the import, e-conomic's rate limit), the
app's gunicorn (with the bench's bare view), a Celery worker node and beat.

The pieces come from the chaos harness (bench/chaos): the same private Redis, port and
process-group helpers, the same gunicorn start. Every process is a process group of its own and
is stopped at the end.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from .chaos.processes import RedisServer, free_port, kill_group, start_process
from .chaos.stack import gunicorn

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
# A database of this run's own (dropped at the end): two benches on one machine, or a bench beside
# the test suites and chaos runs of other worktrees, never drop each other's.
DATABASE = os.environ.get("BENCH_DATABASE") or f"syncapp_bench_{os.getpid()}_{secrets.token_hex(3)}"
SANDBOX_APP_SECRET, SANDBOX_APP_PUBLIC = "sandbox-app-secret", "sandbox-app-public"
# Our own throttle when the bench does not measure it: high enough never to wait.
UNTHROTTLED = 1000
# Our throttle runs a little under the API's limit, as an operator would set it: calls leave on
# the throttle's beat but arrive with jitter (threads, the network), and a limit met exactly
# turns every early arrival into a 429, a wasted call and a pause.
THROTTLE_SHARE = 0.96


def worker_concurrency() -> int:
    return int(os.environ.get("BENCH_WORKER_CONCURRENCY", "8"))


def worker_pool() -> str:
    """Celery's pool for the bench's worker node: `threads` (docker-compose's choice) or `prefork`."""
    return os.environ.get("BENCH_WORKER_POOL", "threads")


def create_database(name: str = DATABASE) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")


def drop_database(name: str = DATABASE) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _admin(*statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def base_environment(redis: RedisServer, emulator_port: int, logs: Path) -> dict[str, str]:
    emulators = f"http://127.0.0.1:{emulator_port}/sandbox"
    return {
        **os.environ,
        "DEBUG": "true",
        "SANDBOX_ENABLED": "true",
        "DJANGO_SETTINGS_MODULE": "syncapp.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "REDIS_URL": f"{redis.url}/0",
        "CELERY_BROKER_URL": f"{redis.url}/1",
        "CELERY_BEAT_HEARTBEAT_FILE": str(logs / "beat-heartbeat"),
        "ECONOMIC_API_URL": f"{emulators}/economic",
        "STRIPE_API_BASE": f"{emulators}/stripe",
        "ECONOMIC_APP_SECRET_TOKEN": SANDBOX_APP_SECRET,
        "ECONOMIC_APP_PUBLIC_TOKEN": SANDBOX_APP_PUBLIC,
        "ECONOMIC_RATE_PER_SECOND": str(UNTHROTTLED),
        # One key for this run, shared by the bench (which stores the credentials) and the app.
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SYNC_SWEEP_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
        # Sandbox knobs (sandbox/latency.py): set per stage on the emulator process only.
        "SANDBOX_LATENCY_MS": "0",
        "SANDBOX_ECONOMIC_RATE_PER_SECOND": "0",
    }


def product_environment(env: dict[str, str]) -> dict[str, str]:
    """The app (web, workers, beat) as production runs it: DEBUG off (no query log, no debug
    wrappers), no sandbox inside it; plain http, as behind the load balancer that ends TLS."""
    return {
        **env,
        "DEBUG": "false",
        "SANDBOX_ENABLED": "false",
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": "consolemail://",
    }


class BenchStack:
    def __init__(self) -> None:
        self.logs = Path(tempfile.mkdtemp(prefix="bench-"))
        self.redis = RedisServer()
        self.emulator_port, self.web_port = free_port(), free_port()
        self.env: dict[str, str] = {}
        self.emulator: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.imports_worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.latency_ms = 0.0
        self.economic_rate: int | None = 0
        self.worker_pool = worker_pool()

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        """Redis, the database (migrated, in this process), web; emulators and workers come with
        `configure`."""
        self.redis.start()
        self.env = base_environment(self.redis, self.emulator_port, self.logs)
        os.environ.update(self.env)
        create_database()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from .urls import BARE_TABLE

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, body text NOT NULL)")
        web_env = {**product_environment(self.env), "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.web = gunicorn(self.web_port, web_env, self.logs / "web.log")

    def configure(self, *, latency_ms: float, economic_rate: int | None = 0) -> None:
        """(Re)start the emulators with this latency and e-conomic rate limit (0: none), and the
        workers and beat with our own throttle at the same rate (or unthrottled). None: the
        emulators without a limit and our throttle as shipped (the product's default settings)."""
        self.stop_workers()
        if self.emulator is not None:
            kill_group(self.emulator)
        self.latency_ms, self.economic_rate = latency_ms, economic_rate
        emulator_env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": "bench.emulator_settings",
            "SANDBOX_LATENCY_MS": str(latency_ms),
            "SANDBOX_ECONOMIC_RATE_PER_SECOND": str(economic_rate or 0),
        }
        # Two processes, one per core; 8 threads each are twice the calls the worker node and the
        # bench's own client have in flight at once (most of a call is the added latency's sleep).
        self.emulator = gunicorn(
            self.emulator_port, emulator_env, self.logs / "emulators.log", workers=2, threads=8
        )
        self.start_workers()

    def worker_env(self) -> dict[str, str]:
        env = product_environment(self.env)
        if self.economic_rate is None:
            env.pop("ECONOMIC_RATE_PER_SECOND", None)
            return env
        rate = self.economic_rate * THROTTLE_SHARE if self.economic_rate else UNTHROTTLED
        return {**env, "ECONOMIC_RATE_PER_SECOND": str(rate)}

    def start_workers(self) -> None:
        """As docker-compose runs them: a node for live syncs and one for imports, the imports' at
        a lower priority (nice 10), so work that can wait yields the cores to live syncs."""
        env = self.worker_env()
        self.worker = start_process(
            self._worker_args("bench", "celery", worker_concurrency()),
            env=env,
            cwd=ROOT,
            log=self.logs / "worker.log",
        )
        self.imports_worker = start_process(
            ["nice", "-n", "10", *self._worker_args("imports", "imports", 2)],
            env=env,
            cwd=ROOT,
            log=self.logs / "imports.log",
        )
        beat = [sys.executable, "-m", "celery", "-A", "syncapp", "beat", "--loglevel=WARNING"]
        beat += [f"--schedule={self.logs / 'beat-schedule'}"]
        self.beat = start_process(beat, env=env, cwd=ROOT, log=self.logs / "beat.log")
        _wait_ready(self.logs / "worker.log", self.worker)
        _wait_ready(self.logs / "imports.log", self.imports_worker)

    def _worker_args(self, name: str, queue: str, concurrency: int) -> list[str]:
        args = [sys.executable, "-m", "celery", "-A", "syncapp", "worker", "-n", f"{name}@%h"]
        args += [f"--queues={queue}", f"--pool={self.worker_pool}", f"--concurrency={concurrency}"]
        args += ["-O", "fair", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        return [*args, "--loglevel=INFO"]

    def stop_workers(self) -> None:
        for process in (self.beat, self.worker, self.imports_worker):
            if process is not None:
                kill_group(process)
        self.beat = self.worker = self.imports_worker = None

    def worker_peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the worker nodes' pool processes (the nodes
        themselves with the threads pool): an import's is the imports node's."""
        nodes = [node for node in (self.worker, self.imports_worker) if node is not None]
        pids = [pid for node in nodes for pid in (_children(node.pid) or [node.pid])]
        return max((_peak_rss_kb(pid) for pid in pids), default=0) / 1024

    def worker_rss_mb(self) -> float:
        """The resident memory (VmRSS) of the worker node: its main process and its pool's."""
        if self.worker is None:
            return 0.0
        pids = [self.worker.pid, *_children(self.worker.pid)]
        pids += [grandchild for pid in pids[1:] for grandchild in _children(pid)]
        return round(sum(_status_kb(pid, "VmRSS:") for pid in pids) / 1024, 1)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time so far of each part of the stack (its process and their children)."""
        parts = {
            "emulators": self.emulator,
            "web": self.web,
            "worker": self.worker,
            "imports": self.imports_worker,
            "beat": self.beat,
        }
        return {
            name: round(sum(_cpu_seconds(pid) for pid in [p.pid, *_children(p.pid)]), 1)
            for name, p in parts.items()
            if p is not None
        }

    def stop(self) -> None:
        self.stop_workers()
        for process in (self.web, self.emulator):
            if process is not None:
                kill_group(process)
        self.redis.stop()
        from django.db import connections

        connections.close_all()
        drop_database()


def _wait_ready(log: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and "ready." in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited; see {log}")
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not become ready; see {log}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _peak_rss_kb(pid: int) -> int:
    return _status_kb(pid, "VmHWM:")


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
