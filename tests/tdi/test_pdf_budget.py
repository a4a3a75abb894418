"""Bounded work per request (issue 12): user texts have lengths that fit their use, and a PDF
has a budget that fails with a French message, not a killed worker."""

import re

import pytest

from tdi import pdf

from ..utils import text

pytestmark = pytest.mark.django_db


def test_a_project_description_has_a_length(client_for, project):
    from ..projects.test_edit import edit_data

    project.stage = "drafting"
    project.save()
    response = client_for("coordinator").post(
        f"/projets/{project.pk}/modifier/", edit_data(project, description="x" * 20001)
    )
    assert response.status_code == 200
    squeezed = re.sub(r"\s", "", text(response))  # thousands are spaced (narrow no-break)
    assert "comporteauplus20000caractères(actuellement20001)" in squeezed
    project.refresh_from_db()
    assert project.description != "x" * 20001


def test_an_html_over_budget_is_refused_in_french(client_for, project, settings):
    settings.PDF_BUDGET = {**settings.PDF_BUDGET, "html_chars": 1000}
    response = client_for("coordinator").get(f"/projets/{project.pk}/fiche.pdf")
    assert response.status_code == 503
    assert "Ce document est trop long pour être produit ici" in text(response)


def test_pages_over_budget_are_refused(client_for, project, settings):
    settings.PDF_BUDGET = {**settings.PDF_BUDGET, "pages": 0}
    response = client_for("coordinator").get(f"/projets/{project.pk}/fiche.pdf")
    assert response.status_code == 503
    assert "pages)" in text(response)


def test_the_time_budget_interrupts_the_layout():
    import time

    with pytest.raises(pdf.PdfBudgetExceeded) as error, pdf.time_budget(0.2):
        time.sleep(2)
    assert error.value.message.startswith("Ce document est trop long pour être produit ici")
