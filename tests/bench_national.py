"""`make bench` at national size (issue 13), when DATABASE_URL's database holds the national
data set (`make demo-national`): each main page, export and page of the read API read by the
same person with the same address in two databases, side by side in one run: a database of
the demo alone (demo size: made next to the national one, `<name>_demo`, the first time) and
the national one (183 territories, 20 000 projects). Printed: queries, median time, response
size, the national/demo ratio and the first reading (cache empty).

Two readers: the national reader (the national pages, a territory's list and a project: at
demo size Chaumont-Langres and its first project decided in committee, at national size the
first territory of the national set and its first such project) and the coordination of Chaumont-Langres, whose own pages
must not feel the other 182 territories. The API reads pages of 20 projects, full in both
databases (the national reader sees 20 projects of the demo). It writes nothing but the
sessions and tokens of its readers (the tokens are deleted at the end), and the demo database
the first time.
"""

import base64
import io
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdi.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from api.models import ApiToken  # noqa: E402
from projects.models import Project, Territory  # noqa: E402

RUNS = 5
DEMO_TERRITORY, NATIONAL = "ti-0052", "ti-2001"  # Chaumont-Langres; the national set's first
# (reader, what, address): {territory} and {project} are Chaumont-Langres and its first project
# in the demo's database, the first territory of the national set and its first in the other.
PAGES = [
    ("national", "tableau de bord", "/?territoire=tous"),
    ("national", "rapports", "/rapports/?territoire=tous"),
    ("national", "rapports au 1/6/2026", "/rapports/?territoire=tous&date=2026-06-01"),
    ("national", "liste des projets", "/projets/?territoire={territory}"),
    ("national", "projet", "/projets/{project}/"),
    ("national", "décisions", "/decisions/?territoire=tous"),
    ("national", "export CSV", "/rapports/projets.csv?territoire=tous"),
    ("coordination", "tableau de bord", "/"),
    ("coordination", "rapports", "/rapports/"),
    ("coordination", "liste des projets", "/projets/"),
    ("coordination", "décisions", "/decisions/"),
]
# The read API: the first page of 20 projects, and one deep in the list ({deep}: a cursor to
# the middle).
API_PAGES = [
    ("national", "API : 20 projets", "/api/v1/projets/?page_size=20"),
    ("national", "API : page lointaine", "/api/v1/projets/?page_size=20&cursor={deep}"),
    ("coordination", "API : 20 projets", "/api/v1/projets/?page_size=20"),
]
READERS = ("national", "coordination")


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


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server."""
    connection.close()
    connection.settings_dict["NAME"] = name
    cache.clear()


def demo_database(national: str) -> str:
    """The name of the demo's database next to the national one; made the first time (the
    migrations and `manage.py demo`, about a minute)."""
    if connection.vendor == "sqlite":
        name = str(Path(national).with_stem(Path(national).stem + "_demo"))
    else:
        name = f"{national}_demo"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    use_database(name)
    if Territory._meta.db_table not in connection.introspection.table_names():
        print(f"Base de la démo seule : {name}, faite une fois (migrations et démo)…")
        call_command("migrate", verbosity=0)
        call_command("demo", stdout=io.StringIO())
    use_database(national)
    return name


def measure(names: dict) -> dict:
    """What each page costs in the database the connection points at: {(reader, what): …}."""
    users = get_user_model().objects.in_bulk(READERS, field_name="username")
    clients = {}
    for who in READERS:
        clients[who] = Client()
        clients[who].force_login(users[who])
    results = {}
    for who, label, url in PAGES:
        if label == "export CSV":
            results[who, "CSV : premier octet"] = first_byte(clients[who], url.format(**names))
        results[who, label] = read(clients[who], url.format(**names))
    tokens = {who: ApiToken.issue(users[who], "make bench") for who in READERS}
    try:
        for who, label, url in API_PAGES:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[who][1]}")
            results[who, label] = read(client, url.format(**names))
    finally:
        for token, _raw in tokens.values():
            token.delete()
    return results


def names_in(territory: str) -> dict:
    """The addresses' blanks in the database the connection points at."""
    ids = Project.objects.order_by("pk").values_list("pk", flat=True)
    count = ids.count()
    deep = ids[max(0, min(count // 2, count - 21))]  # a full page of 20 after it
    return {
        "territory": territory,
        # A project that went through a committee's decision: its page shows the same panels
        # in both databases.
        "project": Project.objects.filter(territory__code=territory, agenda_items__decision__gt="")
        .order_by("pk")
        .first()
        .pk,
        "deep": base64.urlsafe_b64encode(str(deep).encode()).decode().rstrip("="),
    }


def main() -> None:
    if not Territory.objects.filter(code=NATIONAL).exists():
        print("Pas de jeu de données national dans cette base : `make demo-national` d'abord.")
        sys.exit(0)
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    national_db = connection.settings_dict["NAME"]
    demo_db = demo_database(national_db)
    sizes = {}
    use_database(demo_db)
    sizes["demo"] = Project.objects.count()
    demo = measure(names_in(DEMO_TERRITORY))
    use_database(national_db)
    sizes["national"] = Project.objects.count()
    national = measure(names_in(NATIONAL))
    print(
        f"Base de la démo ({demo_db}) : {sizes['demo']} projets ; "
        f"base nationale ({national_db}) : {sizes['national']} projets."
    )
    print(
        f"{'page':<34} {'requêtes':>13} {'médiane (ms)':>21} {'taille (ko)':>21} "
        f"{'rapport temps':>14} {'1re lecture (ms)':>21}"
    )
    for (who, label), a in demo.items():
        b = national[who, label]
        name = f"{who} : {label}"
        if isinstance(a, float):  # a first byte
            print(f"{name:<34} {'':>13} {a:>9.0f} → {b:<9.0f}")
        else:
            line(name, a, b)


def line(label: str, a: tuple, b: tuple) -> None:
    print(
        f"{label:<34} {a[0]:>6} → {b[0]:<5} {a[1]:>9.0f} → {b[1]:<9.0f} "
        f"{a[2] / 1000:>9.0f} → {b[2] / 1000:<9.0f} {b[1] / a[1]:>10.1f}× "
        f"{a[3]:>9.0f} → {b[3]:<9.0f}"
    )


if __name__ == "__main__":
    main()
