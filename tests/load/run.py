"""`make loadtest` (issue 13): the application under production-like settings, on the national
data set, with people of every role browsing it at once.

    DATABASE_URL=postgres://… make loadtest                  # 20 people, 60 s
    DATABASE_URL=postgres://… LOADTEST_DURATION=30 make loadtest

It checks that DATABASE_URL is PostgreSQL, runs collectstatic into a temporary directory,
starts gunicorn on the loopback (3 workers, as deployed), runs locust headless
(tests/load/locustfile.py: each person logs in through the form, then browses), stops
gunicorn, prints requests/s, p50, p95, p99 and errors for pages, exports and logins, and
fails unless the target is met: no error at all, and p95 of the pages within LOADTEST_P95_MS.

Settings (environment): LOADTEST_DURATION (60; seconds or 90s/2m), LOADTEST_USERS (20),
LOADTEST_SPAWN_RATE (1 a second: each login
hashes its password, ~0.5 s of CPU), LOADTEST_WAIT (think time, "1,3" seconds),
LOADTEST_P95_MS (500), LOADTEST_PORT (a free one), LOADTEST_GUNICORN_WORKERS (3),
LOADTEST_KEEP=1 keeps the temporary directory (logs, samples). The run writes nothing but
sessions (its people log out at the end), their last login and django-axes' login log.
"""

from __future__ import annotations

import os
import sys
import time

from tests.load.harness import (
    HOST,
    Stack,
    duration_seconds,
    free_port,
    gunicorn_workers,
    handle_termination,
    locust,
    print_figures,
    read_samples,
    report,
    say,
    summarize,
)


def main() -> int:
    handle_termination()
    seconds = duration_seconds(os.environ.get("LOADTEST_DURATION", "60"))
    users = int(os.environ.get("LOADTEST_USERS", "20"))
    spawn_rate = float(os.environ.get("LOADTEST_SPAWN_RATE", "1"))
    target_p95 = float(os.environ.get("LOADTEST_P95_MS", "500"))
    port = int(os.environ.get("LOADTEST_PORT") or free_port())
    workers = int(os.environ.get("LOADTEST_GUNICORN_WORKERS", "3"))
    stack = Stack.create("loadtest")
    keep = os.environ.get("LOADTEST_KEEP") == "1"
    try:
        stack.collectstatic()
        server = stack.gunicorn("app", port, workers)
        before = gunicorn_workers(server)
        say(f"locust : {users} personnes, {seconds} s, sur http://{HOST}:{port}")
        load = locust(stack, port, users, spawn_rate, seconds)
        load.popen.wait(timeout=seconds + 120)
        say(load.tail(200))
        if load.popen.returncode not in (0, 1):  # 1: some requests failed, counted below
            say(f"locust a échoué (code {load.popen.returncode})")
            keep = True
            return 2
        restarted = gunicorn_workers(server) != before
        started = time.monotonic()
        code = server.stop()
        say(f"gunicorn arrêté (code {code}) en {time.monotonic() - started:.1f} s")
        samples = read_samples(stack)
    except BaseException:
        keep = True
        for process in stack.processes:
            say(f"--- {process.name} ({process.log}) ---\n{process.tail()}")
        raise
    finally:
        stack.cleanup(keep)
    return verdict(samples, target_p95, restarted, code)


def verdict(samples, target_p95: float, restarted: bool, code) -> int:
    if not samples:
        say("aucune mesure (locust n'a rien envoyé ?)")
        return 1
    figures = summarize(samples)
    print_figures(figures, samples)
    errors = sum(figures[kind]["errors"] for kind in ("page", "export", "login"))
    checks = [
        (f"0 erreur ({errors})", errors == 0),
        (
            f"p95 des pages ≤ {target_p95:.0f} ms ({figures['page']['p95']:.0f} ms)",
            figures["page"]["p95"] <= target_p95,
        ),
        ("les workers gunicorn n'ont pas été relancés", not restarted),
        (f"gunicorn s'arrête proprement (code {code})", code == 0),
    ]
    return 0 if report("objectif", checks) else 1


if __name__ == "__main__":
    sys.exit(main())
