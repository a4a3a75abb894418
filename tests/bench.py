"""`make bench`: query counts and response times of the main pages as the data grows.

Builds a throw-away SQLite database (or uses DATABASE_URL's server with a test database),
fills a territory with N projects, and prints for each size the number of queries and the
median time of the project list and a project detail. Figures come from one run: compare the
ratios, not the absolute times, since these machines are noisy.
"""

import os
import statistics
import time
import warnings
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdi.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
warnings.filterwarnings("ignore", "No directory at")  # collectstatic output is not needed

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)

from projects.models import (  # noqa: E402
    FundingLine,
    Membership,
    Organisation,
    Project,
    Role,
    Stage,
    Territory,
)

RUNS = 7


def measure(client: Client, url: str) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    count = len(queries.captured_queries)  # read now: the next request clears the log
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return count, statistics.median(times)


def grow(territory: Territory, funders: list[Organisation], target: int) -> None:
    for i in range(Project.objects.count(), target):
        project = Project.objects.create(
            territory=territory,
            title=f"Projet de banc d'essai {i}",
            axis="innovation",
            stage=Stage.SUBMITTED,
            total_cost=Decimal(100000 + i),
            lead_organisation=funders[i % len(funders)],
        )
        for j in range(3):
            FundingLine.objects.create(
                project=project, funder=funders[j], instrument="grant", amount=Decimal(10000)
            )


def main() -> None:
    setup_test_environment(debug=False)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from django.contrib.auth import get_user_model

        territory = Territory.objects.create(name="Banc d'essai", prefix="BE", region="Grand Est")
        funders = [
            Organisation.objects.create(name=f"Financeur {i}", kind="operator") for i in range(5)
        ]
        user = get_user_model().objects.create_user("bench", password="bench-password")
        Membership.objects.create(user=user, territory=territory, role=Role.COORDINATOR)
        client = Client()
        client.force_login(user)

        print(f"{'projets':>8} | {'liste : requêtes':>16} | {'liste : ms (médiane)':>20}")
        for size in (20, 200, 2000):
            grow(territory, funders, size)
            queries, median = measure(client, "/projets/?tri=cout")
            print(f"{size:>8} | {queries:>16} | {median:>20.1f}")

        project = Project.objects.order_by("pk").first()
        print(f"\n{'lignes+historique':>17} | {'fiche : requêtes':>16} | {'fiche : ms':>10}")
        for size in (1, 50, 500):
            while project.funding_lines.count() < size:
                line = FundingLine.objects.create(
                    project=project, funder=funders[0], instrument="loan", amount=Decimal(1)
                )
                line.amount += 1
                line.save()
            queries, median = measure(client, f"/projets/{project.pk}/")
            print(f"{size:>17} | {queries:>16} | {median:>10.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
