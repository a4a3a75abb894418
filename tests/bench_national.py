"""`make bench` at national size (issue 13), when DATABASE_URL's database holds the national
data set (`make demo-national`): each main page and export read at demo size (the
coordination of Chaumont-Langres, 17 projects) and at national size (the national reader over
every territory, or a territory of the national set), side by side in one run: queries, median
time, response size and the national/demo ratios. The read API's page of 100 projects is read
by the same two people with a personal token (issue 14). It reads the database and writes
nothing but the sessions and tokens of its two readers (the tokens are deleted at the end).
"""

import base64
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdi.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from api.models import ApiToken  # noqa: E402
from projects.models import Project, Territory  # noqa: E402

RUNS = 5
NATIONAL = "ti-2001"  # the first territory of the national set
# (what, demo URL, national URL): the demo's reader is the coordination of Chaumont-Langres,
# the national one the national reader (a territory of the national set for its own pages).
PAGES = [
    ("tableau de bord", "/", "/?territoire=tous"),
    ("rapports", "/rapports/", "/rapports/?territoire=tous"),
    (
        "rapports au 1/6/2026",
        "/rapports/?date=2026-06-01",
        "/rapports/?territoire=tous&date=2026-06-01",
    ),
    ("liste des projets", "/projets/", "/projets/?territoire={national}"),
    ("projet", "/projets/{demo_project}/", "/projets/{national_project}/"),
    ("décisions", "/decisions/", "/decisions/?territoire=tous"),
    ("export CSV", "/rapports/projets.csv", "/rapports/projets.csv?territoire=tous"),
]
# The read API: a page of 100 projects, the first one and one deep in the national set.
API_PAGES = [
    ("API : 100 projets", "/api/v1/projets/?page_size=100", "/api/v1/projets/?page_size=100"),
    (
        "API : page lointaine",
        "/api/v1/projets/?page_size=100",
        "/api/v1/projets/?page_size=100&cursor={deep}",
    ),
]


def read(client: Client, url: str) -> tuple[int, float, int, float]:
    """Queries, median milliseconds, bytes and the milliseconds of the first reading (the cache
    empty) of a page (a streamed file read to its end)."""

    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return len(content)

    cache.clear()  # the first reading adds the sums up (ReportScope.sums keeps them)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        size = get()
        first = (time.perf_counter() - start) * 1000
    count = len(queries.captured_queries)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return count, statistics.median(times), size, first


def first_byte(client: Client, url: str) -> float:
    """Median milliseconds until a streamed file's first chunk."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        next(iter(client.get(url).streaming_content))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    if not Territory.objects.filter(code=NATIONAL).exists():
        print("Pas de jeu de données national dans cette base : `make demo-national` d'abord.")
        sys.exit(0)
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    users = get_user_model().objects.in_bulk(["coordination", "national"], field_name="username")
    demo, national = Client(), Client()
    demo.force_login(users["coordination"])
    national.force_login(users["national"])
    names = {
        "national": NATIONAL,
        "demo_project": Project.objects.filter(territory__code="ti-0052").first().pk,
        "national_project": Project.objects.filter(territory__code=NATIONAL).first().pk,
    }
    counts = Project.objects.filter(territory__code__startswith="ti-2").count()
    print(f"Taille nationale : {counts} projets ; démo : 17 projets (Chaumont-Langres).")
    print(
        f"{'page':<20} {'requêtes':>13} {'médiane (ms)':>21} {'taille (ko)':>21} "
        f"{'rapport temps':>14} {'1re lecture (ms)':>21}"
    )
    for label, demo_url, national_url in PAGES:
        if label == "export CSV":
            a, b = first_byte(demo, demo_url), first_byte(national, national_url)
            print(f"{'CSV : premier octet':<20} {'':>13} {a:>9.0f} → {b:<9.0f}")
        line(
            label,
            read(demo, demo_url.format(**names)),
            read(national, national_url.format(**names)),
        )
    tokens = {who: ApiToken.issue(user, "make bench") for who, user in users.items()}
    try:
        demo_api, national_api = (
            Client(HTTP_AUTHORIZATION=f"Bearer {tokens[who][1]}")
            for who in ("coordination", "national")
        )
        deep = Project.objects.order_by("pk").values_list("pk", flat=True)[counts // 2]
        names["deep"] = base64.urlsafe_b64encode(str(deep).encode()).decode().rstrip("=")
        for label, demo_url, national_url in API_PAGES:
            a = read(demo_api, demo_url.format(**names))
            line(label, a, read(national_api, national_url.format(**names)))
    finally:
        for token, _raw in tokens.values():
            token.delete()


def line(label: str, a: tuple, b: tuple) -> None:
    print(
        f"{label:<20} {a[0]:>6} → {b[0]:<5} {a[1]:>9.0f} → {b[1]:<9.0f} "
        f"{a[2] / 1000:>9.0f} → {b[2] / 1000:<9.0f} {b[1] / a[1]:>10.1f}× "
        f"{a[3]:>9.0f} → {b[3]:<9.0f}"
    )


if __name__ == "__main__":
    main()
