"""`make bench` for the portfolio laid out in parts (issue 13): one territory's report of the
national data set (110 projects, 66 pages) built by 1, 2 and 4 workers (`manage.py db_worker`)
at once, their wall time and the time a worker alone would take divided by the workers. It
needs the national data set on PostgreSQL (`make demo-national`) and writes nothing but its
report jobs, deleted at the end.
"""

import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdi.settings")
# The workers read the queue in the database, as deployed (not the immediate backend).
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from projects.models import ReportJob, Territory  # noqa: E402
from tdi.reports.document import build_portfolio  # noqa: E402

TERRITORY = "ti-2001"
WORKERS = (1, 2, 4)


def build_with(workers: int, territory: Territory, user) -> tuple[float, int]:
    job = ReportJob.objects.create(
        kind=ReportJob.Kind.PORTFOLIO,
        created_by=user,
        parameters={"territories": [territory.pk], "territory_names": [territory.name],
                    "as_of": None, "filters": {}, "file_name": f"bench-{workers}.pdf"},
    )  # fmt: skip
    started = time.perf_counter()
    build_portfolio.enqueue(job.pk)
    command = [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"]
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(workers)
    ]
    try:
        while not job.is_finished:
            time.sleep(0.2)
            job.refresh_from_db()
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    assert job.status == ReportJob.Status.DONE, job.error
    parts = job.parts
    job.file.delete(save=False)
    job.delete()
    return elapsed, parts


def main() -> None:
    territory = Territory.objects.filter(code=TERRITORY).first()
    if territory is None:
        print("Pas de jeu de données national dans cette base : `make demo-national` d'abord.")
        return
    user = get_user_model().objects.get(username="national")
    print(f"Rapport de portefeuille de {territory.name} ({territory.projects.count()} projets)")
    print(f"{'workers':>8} {'parties':>8} {'durée (s)':>10} {'1 worker ÷ N (s)':>17}")
    alone = None
    for workers in WORKERS:
        elapsed, parts = build_with(workers, territory, user)
        alone = alone or elapsed
        print(f"{workers:>8} {parts:>8} {elapsed:>10.1f} {alone / workers:>17.1f}")
    print(f"({os.cpu_count()} cœurs sur cette machine)")


if __name__ == "__main__":
    main()
