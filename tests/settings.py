"""The settings of the test suite: the site's own, as `make run` has them (DJANGO_DEBUG=1: no
secret to provide, tasks run at once), unless the environment says otherwise. So `pytest`
alone works, and `DATABASE_URL` still picks PostgreSQL."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from tdi.settings import *  # noqa: E402, F403
