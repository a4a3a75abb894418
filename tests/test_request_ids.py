"""Each request has an id, sent back and written on its log lines (issue 12, deployment)."""

import logging
import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tdi.middleware import RequestId, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_the_response_carries_a_new_request_id(client):
    response = client.get("/connexion/")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/connexion/")["X-Request-ID"] != response["X-Request-ID"]


def test_the_proxy_s_id_is_kept_and_a_forged_one_replaced(client):
    given = "6ee28084-e668-45c3-8058-79d1218ca79d"
    assert client.get("/connexion/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    forged = client.get("/connexion/", HTTP_X_REQUEST_ID="x\u00e9<script>")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_log_lines_of_a_request_carry_its_id():
    seen = []

    def view(request):
        record = logging.LogRecord("tdi", logging.ERROR, __file__, 1, "boom", None, None)
        RequestIdFilter().filter(record)
        seen.append(record.request_id)
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="abcdef12-3456")
    RequestId(view)(request)
    assert seen == ["abcdef12-3456"]
    outside = logging.LogRecord("tdi", logging.INFO, __file__, 1, "idle", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"


def test_the_deployment_binds_the_application_to_the_proxy_only():
    from pathlib import Path

    from django.conf import settings

    unit = (Path(settings.BASE_DIR) / "deploy" / "tdi.service").read_text()
    assert "--bind 127.0.0.1:8000" in unit
    proxy = (Path(settings.BASE_DIR) / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy 127.0.0.1:8000" in proxy and "X-Request-ID" in proxy
