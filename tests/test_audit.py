"""The audit history is a promise: every business model is tracked and no code path skips it."""

import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
APPS = ["projects", "committees"]
# Technical records, not business objects: a report job is a cache of a generated file.
TECHNICAL = {"ReportJob"}
# Writes that django-simple-history does not record. QuerySet.update() shows as a call chain (`.filter(...).update(`) or on a manager.
UNTRACKED_WRITES = re.compile(
    r"(\)|objects|_set)\.update\(|bulk_create\(|bulk_update\(|"
    r"save_without_historical_record|\.raw\(|cursor\("
)


def test_every_business_model_has_history():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model.__name__ in TECHNICAL:
                continue
            assert hasattr(model, "history"), f"{model.__name__} n'a pas d'historique"


def test_no_code_path_writes_tracked_models_without_history():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if UNTRACKED_WRITES.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
