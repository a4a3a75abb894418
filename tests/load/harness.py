"""What `make loadtest` and `make drills` share: the production-like environment, the app
servers (gunicorn), workers (db_worker) and locust they start on the loopback and always
stop, a small HTTP client that logs in through the form, and the figures of a load run.

Standard library only, plus psycopg (the application's own dependency) for the drills'
look-ups: run with .venv/bin/python from the repository root.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
LOAD_VENV = ROOT / ".venv-load"  # the `load` dependency group, apart from the test suite's
PYTHON = str(VENV / "bin" / "python")
GUNICORN = str(VENV / "bin" / "gunicorn")
LOCUST = str(LOAD_VENV / "bin" / "locust")
LOCUSTFILE = str(ROOT / "tests" / "load" / "locustfile.py")
HOST = "127.0.0.1"  # everything listens on the loopback only
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo-tdi-2026")


def say(message: str = "") -> None:
    print(message, flush=True)


def database_url() -> str:
    """DATABASE_URL, which must name a PostgreSQL database (never the default SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if urllib.parse.urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        say("DATABASE_URL=postgres://… est requis (la base du jeu national, jamais SQLite).")
        raise SystemExit(2)
    return url


def with_application_name(url: str, name: str) -> str:
    """The URL with the connections' application_name, so that pg_stat_activity tells them."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["application_name"] = name
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def handle_termination() -> None:
    """SIGTERM and SIGHUP end the run as Ctrl+C does, so that `finally` blocks stop everything."""

    def stop(signum, _frame):
        raise KeyboardInterrupt(signal.strsignal(signum))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


@dataclass
class Process:
    """A process we started, in its own process group (gunicorn's workers with it)."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (gunicorn: graceful shutdown), then SIGKILL to the group after `timeout`."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"  {self.name} ne s'arrête pas : SIGKILL")
                self.kill()
        self.reap_group()
        return self.popen.returncode

    def kill(self) -> None:
        """kill -9 of the process (its group: a gunicorn's workers die with it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def reap_group(self) -> None:
        """Nothing of the group may outlive it (a worker of a killed gunicorn master)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


@dataclass
class Stack:
    """The production-like environment of a run and the processes it started."""

    workdir: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def create(cls, label: str) -> Stack:
        url = database_url()
        workdir = Path(tempfile.mkdtemp(prefix=f"tdi-{label}-"))
        # The settings are those below, whatever the caller's shell says (the Makefile's
        # DJANGO_DEBUG=1, a DJANGO_TASKS_IMMEDIATE=1…); LOADTEST_* reach locust.
        env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        env.update(
            DATABASE_URL=url,
            DJANGO_DEBUG="0",
            # One secret key for every server of the run: they must read each other's sessions.
            DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            # The loopback has no TLS: no redirect to HTTPS, and the cookies must be sent over
            # plain HTTP (Secure cookies would not come back).
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_HSTS_SECONDS="0",
            # The demo logins have no TOTP device.
            DJANGO_SECOND_FACTOR_REQUIRED="0",
            DJANGO_STATIC_ROOT=str(workdir / "static"),
            # One media directory for every server and worker (the shared volume).
            DJANGO_MEDIA_ROOT=str(workdir / "media"),
            DJANGO_LOG_LEVEL=os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
            PYTHONUNBUFFERED="1",
        )
        return cls(workdir=workdir, env=env)

    def collectstatic(self) -> None:
        say(f"collectstatic → {self.env['DJANGO_STATIC_ROOT']}")
        started = time.monotonic()
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        say(f"  {time.monotonic() - started:.0f} s")

    def start(self, name: str, command: list[str], env: dict | None = None) -> Process:
        log = self.workdir / f"{name}.log"
        handle = open(log, "ab")  # noqa: SIM115 (the child keeps it)
        popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, stopped as a whole
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def gunicorn(self, name: str, port: int, workers: int = 3, env: dict | None = None) -> Process:
        command = [
            GUNICORN,
            "tdi.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
            # gunicorn 27's control socket is one path per machine user: two servers (and the
            # other people on this machine) would take it from each other.
            "--no-control-socket",
        ]
        process = self.start(name, command, env)
        wait_http(f"http://{HOST}:{port}/connexion/", process)
        say(f"{name} : gunicorn pid {process.pid}, http://{HOST}:{port} ({workers} workers)")
        return process

    def worker(self, name: str, env: dict | None = None) -> Process:
        command = [
            PYTHON,
            "manage.py",
            "db_worker",
            "--worker-id",
            name,
            "--no-startup-delay",
            "--interval",
            "1",
        ]
        process = self.start(name, command, env)
        say(f"{name} : db_worker pid {process.pid}")
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def cleanup(self, keep: bool) -> None:
        self.stop_all()
        if keep:
            say(f"(fichiers de l'essai gardés dans {self.workdir})")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def wait_http(url: str, process: Process | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} s'est arrêté au démarrage :\n{process.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} ne répond pas après {timeout:.0f} s")


def gunicorn_workers(master: Process) -> list[int]:
    """The pids of a gunicorn master's workers."""
    found = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=", "--ppid", str(master.pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return sorted(int(pid) for pid in found.stdout.split())


# --- locust ---------------------------------------------------------------------------------------


def duration_seconds(value: str) -> int:
    """LOADTEST_DURATION: seconds, or locust's 90s / 2m / 1h."""
    match = re.fullmatch(r"(\d+)([smh]?)", value.strip())
    if not match:
        raise SystemExit(f"durée illisible : {value!r} (ex. 60, 90s, 2m)")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def locust(stack: Stack, port: int, users: int, spawn_rate: float, seconds: int) -> Process:
    """Locust, headless, against one app server; its samples go to workdir/samples.csv."""
    if not Path(LOCUST).exists():
        raise SystemExit(f"{LOCUST} manque : `make loadtest` installe le groupe `load`.")
    command = [
        LOCUST,
        "-f",
        LOCUSTFILE,
        "--headless",
        "--host",
        f"http://{HOST}:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    return stack.start("locust", command, {"LOADTEST_SAMPLES": str(stack.workdir / "samples.csv")})


@dataclass
class Sample:
    end: float
    kind: str
    name: str
    ms: float
    ok: bool
    status: int
    error: str

    @property
    def start(self) -> float:
        return self.end - self.ms / 1000


def read_samples(stack: Stack) -> list[Sample]:
    samples = []
    path = stack.workdir / "samples.csv"
    if not path.exists():
        return samples
    for line in path.read_text(encoding="utf-8").splitlines():
        end, kind, name, ms, ok, status, error = line.split(",", 6)
        samples.append(Sample(float(end), kind, name, float(ms), ok == "1", int(status), error))
    return samples


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted in increasing order."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n * fraction)
    return sorted_values[int(rank) - 1]


KIND_LABELS = {"page": "pages", "export": "exports", "login": "connexions"}


def summarize(samples: list[Sample]) -> dict[str, dict]:
    """requests/s, p50, p95, p99 and errors, for each kind of request."""
    if not samples:
        return {}
    span = max(s.end for s in samples) - min(s.start for s in samples)
    figures = {}
    for kind in KIND_LABELS:
        chosen = [s for s in samples if s.kind == kind]
        times = sorted(s.ms for s in chosen)
        figures[kind] = {
            "count": len(chosen),
            "rps": len(chosen) / span if span > 0 else 0.0,
            "p50": percentile(times, 0.50),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
            "max": times[-1] if times else 0.0,
            "errors": sum(not s.ok for s in chosen),
        }
    figures["span"] = span
    return figures


def print_figures(figures: dict, samples: list[Sample]) -> None:
    say(f"\nmesures sur {figures['span']:.0f} s ({len(samples)} requêtes) :")
    say(f"  {'':12} {'requêtes':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'erreurs':>8}")  # fmt: skip
    rows = [(label, figures[kind]) for kind, label in KIND_LABELS.items()]
    logins = [s.end for s in samples if s.name == "/connexion/ (envoi)"]
    if logins:  # once everybody is in: the pages without the logins' password hashing
        steady = summarize([s for s in samples if s.start >= max(logins)])
        if steady and steady["page"]["count"]:
            rows.append(("pages*", steady["page"]))
    for label, f in rows:
        say(
            f"  {label:12} {f['count']:>9} {f['rps']:>7.1f} {f['p50']:>8.0f} {f['p95']:>8.0f} "
            f"{f['p99']:>8.0f} {f['max']:>8.0f} {f['errors']:>8}"
        )
    if logins:
        ramp = max(logins) - min(s.start for s in samples)
        say(f"  * les pages une fois tout le monde connecté (après {ramp:.0f} s de montée)")
    slowest = {}
    for sample in samples:
        slowest.setdefault((sample.kind, sample.name), []).append(sample.ms)
    say("  les plus lentes (p95 par adresse) :")
    ranked = sorted(
        ((percentile(sorted(v), 0.95), len(v), k) for k, v in slowest.items()), reverse=True
    )
    for p95, count, (kind, name) in ranked[:6]:
        say(f"    {p95:>7.0f} ms  {count:>5}×  {name} ({KIND_LABELS[kind]})")
    errors = [s for s in samples if not s.ok]
    for sample in errors[:10]:
        moment = time.strftime("%H:%M:%S", time.localtime(sample.end))
        say(f"  erreur {moment} {sample.name} : {sample.status} {sample.error}")
    if len(errors) > 10:
        say(f"  … et {len(errors) - 10} autres erreurs")


# --- an HTTP client of the drills -----------------------------------------------------------------


class Browser:
    """One person's cookies, sent to any of the app servers (urllib, no JavaScript)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")

    def request(self, url: str, data: dict | None = None, timeout: float = 60):
        """(status, final URL, headers, body bytes); HTTP errors are answers, not exceptions."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=timeout) as response:
                return response.status, response.geturl(), response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.headers, error.read()

    def log_in(self, base: str, username: str) -> tuple[int, str]:
        _status, _url, _headers, page = self.request(f"{base}/connexion/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        status, url, _headers, _body = self.request(
            f"{base}/connexion/",
            {
                "csrfmiddlewaretoken": token.group(1).decode() if token else "",
                "username": username,
                "password": PASSWORD,
                "next": "/",
            },
        )
        return status, url

    def post(self, url: str, data: dict):
        return self.request(url, {"csrfmiddlewaretoken": self.cookie("csrftoken"), **data})


def report(title: str, checks: list[tuple[str, bool]]) -> bool:
    """Print each check with PASS/FAIL; True when all passed."""
    say(f"\n{title} :")
    for label, ok in checks:
        say(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return all(ok for _label, ok in checks)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("harness.py est une bibliothèque : make loadtest, make drills")
