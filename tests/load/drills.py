"""`make drills` (issue 13): three faults, provoked on purpose under production-like settings
on the national data set, each printing what it checked with PASS/FAIL.

    DATABASE_URL=postgres://… make drills              # a, b and c, about 5 minutes
    DATABASE_URL=postgres://… make drills DRILLS=b     # one of them

a. PostgreSQL restarted (`pg_ctlcluster 15 main restart`) in the middle of a load run: the
   errors stay within the restart window and the application recovers without being
   restarted (same gunicorn master and workers).
b. A worker killed (kill -9) in the middle of a long report (the portfolio PDF of a
   territory of the national set, asked by the national reader), a new worker started: the
   lease keeps the job from being taken while it may still be alive, then
   `manage.py recover_jobs` queues it again and the new worker completes it.
c. Two app servers and two workers on one database and one media directory: a session
   opened on one server goes on on the other (a POST with its CSRF token included), and a
   document asked on one server is built by a worker and downloaded from the other.

Everything listens on 127.0.0.1 and is stopped at the end, whatever happens. The drills write
nothing but their sessions (their people log out), their report jobs and task results (deleted
at the end unless DRILLS_KEEP=1), the last login and django-axes' login log. Drill a restarts
the whole PostgreSQL cluster: it refuses while other clients are connected to it, unless
DRILLS_FORCE_PG_RESTART=1.

Settings (environment): DRILLS_LOAD_DURATION (60 s of load in drill a), DRILLS_RESTART_AT
(30: seconds into the load), DRILLS_GRACE (5: seconds after the restart during which errors
are expected), DRILLS_PG_CLUSTER ("15 main"),
DRILLS_PG_DOWNTIME (0: `restart`; N: `stop`, N seconds, `start`, a longer outage), DRILLS_JOB_TIMEOUT (600 s), DRILLS_KEEP=1;
LOADTEST_USERS (20) and LOADTEST_SPAWN_RATE (1) as for make loadtest.
"""

from __future__ import annotations

import hashlib
import html
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from tests.load.harness import (
    HOST,
    PYTHON,
    ROOT,
    Browser,
    Stack,
    database_url,
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
    with_application_name,
)

NATIONAL_TERRITORIES = [f"ti-{2000 + n:04d}" for n in range(1, 184)]
PORTFOLIO_TASK = "tdi.reports.document.build_portfolio"
JOB_URL = re.compile(r"/rapports/generations/(\d+)/$")
LEASE = 120  # ReportJob.LEASE, in seconds
JOB_TIMEOUT = float(os.environ.get("DRILLS_JOB_TIMEOUT", "600"))


def db() -> psycopg.Connection:
    url = with_application_name(database_url(), "tdi-drill-check")
    return psycopg.connect(url, autocommit=True)


def job_state(pk: int) -> dict:
    with db() as connection:
        row = connection.execute(
            "SELECT status, progress, attempts, heartbeat_at, file FROM projects_reportjob "
            "WHERE id = %s",
            [pk],
        ).fetchone()
    if row is None:
        return {}
    return dict(zip(("status", "progress", "attempts", "heartbeat_at", "file"), row, strict=True))


def task_runs(pk: int) -> list[tuple[str, list]]:
    """The task results of a job: (status, worker ids), oldest first."""
    with db() as connection:
        return connection.execute(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = %s AND args_kwargs -> 'args' -> 0 = to_jsonb(%s::bigint) "
            "ORDER BY enqueued_at",
            [PORTFOLIO_TASK, pk],
        ).fetchall()


def wait_for(pk: int, statuses: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = job_state(pk)
        if state.get("status") in statuses or time.monotonic() > deadline:
            return state
        time.sleep(1)


def delete_jobs(pks: list[int]) -> None:
    """The drills' jobs and their task results: nothing of them stays in the database."""
    if not pks:
        return
    with db() as connection:
        for pk in pks:
            connection.execute(
                "DELETE FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
                "AND args_kwargs -> 'args' -> 0 = to_jsonb(%s::bigint)",
                [PORTFOLIO_TASK, pk],
            )
            connection.execute("DELETE FROM projects_reportjob WHERE id = %s", [pk])
    say(f"(générations de l'exercice supprimées de la base : {', '.join(map(str, pks))})")


def ask_portfolio(browser: Browser, base: str, code: str) -> tuple[int | None, int]:
    """The portfolio PDF of a territory of the national set: a background job, whose page the
    request is redirected to; (job id, status)."""
    status, url, _headers, _body = browser.request(
        f"{base}/rapports/portefeuille.pdf?territoire={code}"
    )
    match = JOB_URL.search(url)
    return (int(match.group(1)) if match else None), status


def download(browser: Browser, base: str, pk: int) -> tuple[int, str, bytes]:
    status, _url, headers, body = browser.request(f"{base}/rapports/generations/{pk}/fichier.pdf")
    return status, headers.get("Content-Type", ""), body


def media_file(stack: Stack, name: str) -> bytes:
    path = Path(stack.env["DJANGO_MEDIA_ROOT"]) / name
    return path.read_bytes() if name and path.exists() else b""


def manage(stack: Stack, *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *arguments],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return (result.stdout + result.stderr).strip()


# --- a. PostgreSQL restarted under load ----------------------------------------------------------


def other_clients() -> list[tuple]:
    with db() as connection:
        return connection.execute(
            "SELECT datname, usename, application_name, client_addr::text, state "
            "FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'tdi-drill%%'"
        ).fetchall()


def pg_ready(timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with db() as connection:
                connection.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            time.sleep(0.2)
    return False


class Probe(threading.Thread):
    """Opens a connection every EVERY seconds: when the database did not answer."""

    EVERY = 0.05

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.failures: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        url = with_application_name(database_url(), "tdi-drill-probe")
        while not self.halt.wait(self.EVERY):
            try:
                with psycopg.connect(url, connect_timeout=1) as connection:
                    connection.execute("SELECT 1")
            except psycopg.OperationalError:
                self.failures.append(time.time())

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def outage(self) -> float:
        """From the first failed connection to the last one, plus one interval."""
        if not self.failures:
            return 0.0
        return self.failures[-1] - self.failures[0] + self.EVERY


def drill_a(stack: Stack) -> bool:
    say("\n=== a. PostgreSQL redémarré en pleine charge ===")
    others = other_clients()
    if others and os.environ.get("DRILLS_FORCE_PG_RESTART") != "1":
        say("D'autres clients sont connectés au cluster ; le redémarrer les couperait :")
        for row in others:
            say(f"  {row}")
        say("Relancez quand ils ont fini, ou avec DRILLS_FORCE_PG_RESTART=1.")
        return report("a. redémarrage de PostgreSQL", [("cluster libre", False)])
    cluster = os.environ.get("DRILLS_PG_CLUSTER", "15 main").split()
    seconds = duration_seconds(os.environ.get("DRILLS_LOAD_DURATION", "60"))
    restart_at = float(os.environ.get("DRILLS_RESTART_AT", "30"))
    grace = float(os.environ.get("DRILLS_GRACE", "5"))
    downtime = float(os.environ.get("DRILLS_PG_DOWNTIME", "0"))
    users = int(os.environ.get("LOADTEST_USERS", "20"))
    spawn_rate = float(os.environ.get("LOADTEST_SPAWN_RATE", "1"))
    env = {"DATABASE_URL": with_application_name(stack.env["DATABASE_URL"], "tdi-drill-a")}
    port = free_port()
    server = stack.gunicorn("a-app", port, 3, env)
    worker = stack.worker("a-worker", env)
    # A second server, of one worker, that serves nobody during the restart: its persistent
    # connection, opened before, was cut by the restart; its next requests must not fail.
    idle_port = free_port()
    idle = stack.gunicorn("a-idle", idle_port, 1, env)
    idle_base = f"http://{HOST}:{idle_port}"
    before = gunicorn_workers(server)
    say(f"locust : {users} personnes, {seconds} s ; redémarrage à {restart_at:.0f} s")
    load = locust(stack, port, users, spawn_rate, seconds)
    time.sleep(max(0.0, restart_at - 5))
    reader = Browser()
    status, url = reader.log_in(idle_base, "coordination")
    idle_before = status == 200 and url == f"{idle_base}/"
    time.sleep(5)
    probe = Probe()
    probe.start()
    restart_start = time.time()
    # `restart`, or a longer outage: `stop`, DRILLS_PG_DOWNTIME seconds, `start`.
    commands = ["stop", "start"] if downtime else ["restart"]
    codes = []
    for command in commands:
        codes.append(
            subprocess.run(  # noqa: S603
                ["pg_ctlcluster", *cluster, command],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            )
        )
        if command == "stop":
            time.sleep(downtime)
    ready = pg_ready()
    restart_end = time.time()
    probe.stop()
    failed = [c for c in codes if c.returncode]
    say(
        f"pg_ctlcluster {' '.join(cluster)} {' puis '.join(commands)} : "
        f"{'échec' if failed else 'fait'}, {restart_end - restart_start:.1f} s jusqu'à ce "
        f"que la base réponde ; injoignable pendant {probe.outage():.2f} s (sonde toutes les "
        f"{Probe.EVERY * 1000:.0f} ms)" + "".join(f"\n{c.stderr.strip()}" for c in failed)
    )
    time.sleep(grace)
    idle_after = [reader.request(f"{idle_base}/")[0] for _ in range(3)]
    reader.post(f"{idle_base}/deconnexion/", {})
    say(
        f"serveur resté inactif pendant le redémarrage : {idle_after} ({time.time() - restart_end:.0f} s après)"
    )
    load.popen.wait(timeout=seconds + 120)
    samples = read_samples(stack)
    after = gunicorn_workers(server)
    server_alive, worker_alive = server.alive() and idle.alive(), worker.alive()
    stack.stop_all()

    print_figures(summarize(samples), samples)
    window = (restart_start - 1, restart_end + grace)
    errors = [s for s in samples if not s.ok]
    outside = [s for s in errors if not (window[0] <= s.end and s.start <= window[1])]
    later = [s for s in samples if s.start > window[1]]
    first_ok = min((s.end for s in samples if s.ok and s.start > restart_end), default=None)
    say(
        f"\nfenêtre du redémarrage : {time.strftime('%H:%M:%S', time.localtime(restart_start))}"
        f" + {restart_end - restart_start:.1f} s (+ {grace:.0f} s de marge) ; "
        f"erreurs dedans : {len(errors) - len(outside)}, hors fenêtre : {len(outside)}"
    )
    if first_ok is not None:
        say(f"première réponse réussie {first_ok - restart_end:+.1f} s après le retour de la base")
    for process in (server, idle):
        traces = process.log.read_text(errors="replace").count("Internal Server Error")
        say(f"journal de {process.name} : {traces} erreur(s) 500")
    say(
        "worker (db_worker) : toujours en vie après le redémarrage"
        if worker_alive
        else f"worker (db_worker) : arrêté (code {worker.popen.returncode}) par la coupure ; en "
        "production systemd le relance (Restart=on-failure) et le bail reprend ses travaux"
    )
    for sample in outside[:5]:
        say(f"  hors fenêtre : {time.strftime('%H:%M:%S', time.localtime(sample.end))} "
            f"{sample.name} {sample.status} {sample.error}")  # fmt: skip
    return report(
        "a. redémarrage de PostgreSQL",
        [
            ("PostgreSQL redémarré et de nouveau prêt", ready and not failed),
            (f"aucune erreur hors de la fenêtre du redémarrage ({len(outside)})", not outside),
            (
                f"après la fenêtre : {len(later)} requêtes, toutes réussies",
                len(later) >= 20 and all(s.ok for s in later),
            ),
            (
                f"un serveur inactif pendant le redémarrage répond ensuite sans erreur "
                f"{idle_after}",
                idle_before and idle_after == [200, 200, 200],
            ),
            ("l'application n'a pas été relancée (mêmes maîtres gunicorn)", server_alive),
            (f"mêmes workers gunicorn {before}", after == before),
        ],
    )


# --- b. a worker killed in the middle of a long report --------------------------------------------


def drill_b(stack: Stack, jobs: list[int]) -> bool:
    say("\n=== b. worker tué (kill -9) au milieu d'un long rapport ===")
    port = free_port()
    base = f"http://{HOST}:{port}"
    stack.gunicorn("b-app", port, 2)
    first = stack.worker("b-worker-1")
    browser = Browser()
    status, url = browser.log_in(base, "national")
    logged_in = status == 200 and url == f"{base}/"
    code = random.choice(NATIONAL_TERRITORIES)
    pk, status = ask_portfolio(browser, base, code)
    say(f"rapport de portefeuille de {code} demandé par « national » : génération n° {pk}")
    if pk is None:
        stack.stop_all()
        return report("b. worker tué", [(f"connexion ({status})", logged_in), ("job", False)])
    jobs.append(pk)
    running = wait_for(pk, {"running", "done", "failed"}, 60)
    time.sleep(3)  # well into the layout of the PDF
    at_kill = job_state(pk)
    first.kill()
    killed_at = time.time()
    say(f"kill -9 du worker {first.pid} : génération {at_kill}")
    second = stack.worker("b-worker-2")
    early = manage(stack, "recover_jobs")
    state_early = job_state(pk)
    say(f"recover_jobs tout de suite : {early.splitlines()[-1] if early else '(rien)'}")
    taken_after = None
    while time.time() - killed_at < LEASE + 90:
        time.sleep(15)  # recover_jobs as a timer would run it
        output = manage(stack, "recover_jobs")
        if f"n° {pk} : relancé" in output:
            taken_after = time.time() - killed_at
            say(f"recover_jobs {taken_after:.0f} s après le kill : {output.splitlines()[0]}")
            break
    resumed = time.monotonic()
    final = wait_for(pk, {"done", "failed"}, JOB_TIMEOUT) if taken_after else job_state(pk)
    if taken_after:
        say(f"reprise terminée en {time.monotonic() - resumed:.0f} s")
    runs = task_runs(pk)
    say(f"fin : {final}")
    say(f"exécutions de la tâche : {runs}")
    status, content_type, body = download(browser, base, pk)
    stored = media_file(stack, final.get("file") or "")
    say(f"téléchargement : {status} {content_type}, {len(body)} octets")
    browser.post(f"{base}/deconnexion/", {})
    second_alive = second.alive()
    stack.stop_all()
    return report(
        "b. worker tué",
        [
            (f"connexion de « national » par le formulaire ({url})", logged_in),
            (
                f"le worker a été tué en plein travail ({at_kill.get('status')}, "
                f"{at_kill.get('progress')} %)",
                running.get("status") == "running" and at_kill.get("status") == "running",
            ),
            (
                "tant que le bail court, recover_jobs ne reprend pas la génération",
                "0 génération(s) relancée(s)" in early and state_early.get("status") == "running",
            ),
            (
                f"recover_jobs la relance une fois le bail de {LEASE} s échu "
                f"({taken_after or 0:.0f} s après le kill)",
                taken_after is not None and taken_after >= LEASE - 30,
            ),
            (
                f"le nouveau worker la termine : {final.get('status')}, "
                f"{final.get('attempts')} tentatives",
                final.get("status") == "done" and final.get("attempts") == 2,
            ),
            (
                "la tâche tuée reste à son worker, la reprise est au nouveau",
                len(runs) == 2
                and runs[0][1] == ["b-worker-1"]
                and runs[1] == ("SUCCESSFUL", ["b-worker-2"]),
            ),
            (
                f"le PDF se télécharge ({status}, {len(body)} octets, identique au fichier)",
                status == 200
                and content_type.startswith("application/pdf")
                and body.startswith(b"%PDF")
                and body == stored,
            ),
            ("le nouveau worker tourne toujours", second_alive),
        ],
    )


# --- c. two app servers and two workers -------------------------------------------------------------


def drill_c(stack: Stack, jobs: list[int]) -> bool:
    say("\n=== c. deux serveurs d'application, deux workers, une base, un dossier media ===")
    ports = free_port(), free_port()
    while ports[1] == ports[0]:
        ports = ports[0], free_port()
    one, two = (f"http://{HOST}:{port}" for port in ports)
    servers = [stack.gunicorn("c-app-1", ports[0], 2), stack.gunicorn("c-app-2", ports[1], 2)]
    workers = [stack.worker("c-worker-1"), stack.worker("c-worker-2")]
    browser = Browser()
    status, url = browser.log_in(one, "national")
    logged_in = status == 200 and url == f"{one}/"
    status, url, _headers, page = browser.request(f"{two}/")
    same_session = status == 200 and url == f"{two}/" and b"Se d\xc3\xa9connecter" in page
    say(f"connexion sur {one}, puis {two}/ avec le même cookie : {status} {url}")
    # A POST on the second server with the CSRF token of the first: the territory switch.
    switch = re.search(
        rb'<select id="territory-select" name="territory">(.*?)</select>', page, re.S
    )
    options = re.findall(
        rb'<option value="(\d+)"[^>]*>([^<]+)</option>', switch.group(1) if switch else b""
    )
    chosen = random.choice([o for o in options if b"n\xc2\xb0" in o[1]] or options or [(b"0", b"")])
    status, url, _headers, _body = browser.post(
        f"{two}/territoire/", {"territory": chosen[0].decode()}
    )
    name = html.unescape(chosen[1].decode().strip())
    _status, _url, _headers, page = browser.request(f"{one}/projets/")
    selected = b'<option value="' + chosen[0] + b'" selected>'
    switched = status == 200 and url == f"{two}/" and selected in page
    say(f"changement de territoire sur le 2ᵉ serveur ({name}), lu sur le 1ᵉʳ : {switched}")

    codes = random.sample(NATIONAL_TERRITORIES, 2)
    asked_at = time.monotonic()
    asked = [ask_portfolio(browser, one, codes[0])[0], ask_portfolio(browser, two, codes[1])[0]]
    jobs.extend(pk for pk in asked if pk)
    say(
        f"générations {asked[0]} (demandée au 1ᵉʳ serveur, {codes[0]}) et {asked[1]} (au 2ᵉ, {codes[1]})"
    )
    checks = [
        (f"connexion sur le 1ᵉʳ serveur ({one})", logged_in),
        ("la session continue sur le 2ᵉ serveur avec le même cookie", same_session),
        ("un POST sur le 2ᵉ (jeton CSRF du 1ᵉʳ) change la session lue par le 1ᵉʳ", switched),
    ]
    for pk, asked_on, read_on in zip(asked, (one, two), (two, one), strict=True):
        if pk is None:
            checks.append((f"génération demandée sur {asked_on}", False))
            continue
        final = wait_for(pk, {"done", "failed"}, JOB_TIMEOUT)
        runs = task_runs(pk)
        ran_on = runs[-1][1] if runs else []
        page_status, _url, _headers, page = browser.request(f"{read_on}/rapports/generations/{pk}/")
        status, content_type, body = download(browser, read_on, pk)
        stored = media_file(stack, final.get("file") or "")
        say(
            f"génération {pk} : {final.get('status')} par {ran_on} "
            f"({time.monotonic() - asked_at:.0f} s après les demandes), page sur {read_on} "
            f"{page_status}, téléchargement {status} {len(body)} octets"
        )
        checks += [
            (
                f"génération {pk} (demandée sur {asked_on}) terminée par un worker {ran_on}",
                final.get("status") == "done" and len(ran_on) == 1,
            ),  # fmt: skip
            (
                f"sa page et son PDF se lisent sur l'autre serveur ({read_on})",
                page_status == 200
                and f"/rapports/generations/{pk}/fichier.pdf".encode() in page
                and status == 200
                and content_type.startswith("application/pdf")
                and body.startswith(b"%PDF")
                and hashlib.sha256(body).digest() == hashlib.sha256(stored).digest(),
            ),
        ]
    browser.post(f"{two}/deconnexion/", {})
    status, url, _headers, _body = browser.request(f"{one}/")
    checks.append(("déconnecté sur le 2ᵉ, le 1ᵉʳ renvoie à la connexion", "/connexion/" in url))
    alive = all(p.alive() for p in servers + workers)
    checks.append(("les deux serveurs et les deux workers tournent toujours", alive))
    stack.stop_all()
    return report("c. deux serveurs, deux workers", checks)


DRILLS = {"a": drill_a, "b": drill_b, "c": drill_c}


def main(arguments: list[str]) -> int:
    handle_termination()
    chosen = [part for arg in arguments for part in arg.replace(",", " ").split()] or ["all"]
    if chosen == ["all"]:
        chosen = list(DRILLS)
    unknown = [name for name in chosen if name not in DRILLS]
    if unknown:
        say(f"exercices inconnus : {unknown} (a, b, c)")
        return 2
    stack = Stack.create("drills")
    keep = os.environ.get("DRILLS_KEEP") == "1"
    jobs: list[int] = []
    results = {}
    try:
        stack.collectstatic()
        for name in chosen:
            drill = DRILLS[name]
            results[name] = drill(stack) if name == "a" else drill(stack, jobs)
            stack.processes.clear()
    except BaseException:
        keep = True
        for process in stack.processes:
            say(f"--- {process.name} ({process.log}) ---\n{process.tail()}")
        raise
    finally:
        stack.cleanup(keep)
        if os.environ.get("DRILLS_KEEP") != "1":
            try:
                delete_jobs(jobs)
            except psycopg.Error as error:
                say(f"générations non supprimées ({jobs}) : {error}")
    say("\nrésumé : " + ", ".join(f"{n} {'PASS' if ok else 'FAIL'}" for n, ok in results.items()))
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
