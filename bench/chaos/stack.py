"""The chaos run's stack: the emulators behind their own gunicorn, the app's gunicorn, four Celery
workers with their own node names, beat; each a process group the harness can kill and restart."""

import subprocess
import sys
from pathlib import Path

from .processes import free_port, kill_group, start_process, wait_http

ROOT = Path(__file__).resolve().parent.parent.parent


def gunicorn(
    port: int, env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 4
) -> subprocess.Popen:
    args = [sys.executable, "-m", "gunicorn", "syncapp.wsgi:application", "-b", f"127.0.0.1:{port}"]
    args += ["-w", str(workers), "--threads", str(threads), "--log-level", "warning"]
    process = start_process(args, env=env, cwd=ROOT, log=log)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return process


class Stack:
    def __init__(self, env: dict[str, str], logs: Path, *, workers: int = 4):
        self.env, self.logs = env, logs
        self.web_port = free_port()
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen | None] = [None] * workers
        self.beat: subprocess.Popen | None = None

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> None:
        self.web = gunicorn(self.web_port, self.env, self.logs / "web.log")
        for index in range(len(self.workers)):
            self.start_worker(index)
        beat = [sys.executable, "-m", "celery", "-A", "syncapp", "beat", "--loglevel=WARNING"]
        beat += [f"--schedule={self.logs / 'beat-schedule'}"]
        self.beat = start_process(beat, env=self.env, cwd=ROOT, log=self.logs / "beat.log")

    def start_worker(self, index: int) -> None:
        args = [sys.executable, "-m", "celery", "-A", "syncapp", "worker", "-n", f"chaos{index}@%h"]
        args += ["--queues=celery,imports", "--pool=prefork", "--concurrency=1", "--without-gossip"]
        args += ["--without-mingle"]
        args += ["--without-heartbeat", "--loglevel=WARNING"]
        self.workers[index] = start_process(
            args, env=self.env, cwd=ROOT, log=self.logs / f"worker{index}.log"
        )

    def kill_worker(self, index: int) -> None:
        """SIGKILL the whole node (main process and child) and start it again."""
        import signal

        worker = self.workers[index]
        if worker is not None:
            kill_group(worker, signal.SIGKILL)
        self.start_worker(index)

    def stop(self) -> None:
        for process in [self.beat, *self.workers, self.web]:
            if process is not None:
                kill_group(process)
