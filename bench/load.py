"""A small HTTP load generator: client processes (so the GIL of one does not cap the rate), each
with threads in a closed loop, for a fixed time."""

import multiprocessing
import threading
import time
from collections.abc import Callable


def _client(url: str, bodies: list[tuple[bytes, dict]], seconds: float, threads: int, queue) -> None:
    import requests

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(offset: int) -> None:
        session = requests.Session()
        n = offset
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            body, headers = bodies[n % len(bodies)]
            n += threads
            started = time.perf_counter()
            try:
                ok = session.post(url, data=body, headers=headers, timeout=10).status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors[0]))


def closed_loop(
    url: str,
    make_bodies: Callable[[int], list[tuple[bytes, dict]]],
    *,
    seconds: float,
    processes: int,
    threads: int,
) -> dict:
    """POST for `seconds`; each process gets its own bodies (`make_bodies(process_index)`)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    clients = [
        context.Process(target=_client, args=(url, make_bodies(i), seconds, threads, queue))
        for i in range(processes)
    ]
    started = time.monotonic()
    for client in clients:
        client.start()
    results = [queue.get() for _ in clients]
    elapsed = time.monotonic() - started
    for client in clients:
        client.join()
    latencies = [value for found, _ in results for value in found]
    return {
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "seconds": elapsed,
        "latencies": latencies,
    }
