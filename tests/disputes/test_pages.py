"""The ledger's pages through the Django client: register, mediate, agree, print, follow up, and
the board, statistics and screening pages."""

import io

import pytest
from django.utils import timezone

from fengqiao.disputes.models import Dispute
from tests.disputes.test_matrix import payload

pytestmark = pytest.mark.django_db


def test_a_dispute_from_the_form_to_the_archive(client, personas, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(personas.officer)
    today = timezone.localdate().isoformat()
    # register, with a bad ID number first: the error is on the field, nothing is saved
    bad = {**payload(personas.territory, "A"), "parties-1-id_number": "440524188001010015"}
    page = client.post("/disputes/new/", bad)
    assert page.status_code == 200 and "校验码" in page.content.decode()
    assert not Dispute.objects.unscoped(reason="test").exists()
    page = client.post("/disputes/new/", payload(personas.territory, "A"))
    dispute = Dispute.objects.unscoped(reason="test").get()
    assert page.status_code == 302 and page["Location"] == f"/disputes/{dispute.number}/"
    body = client.get(page["Location"]).content.decode()
    assert "矩阵纠纷A" in body and "1101************2X" in body

    def move(name, **data):
        fresh = Dispute.objects.unscoped(reason="test").get(pk=dispute.pk)
        return client.post(
            f"/disputes/{dispute.number}/move/", {"transition": name, "version": fresh.version, **data}
        )

    move("start")
    page = client.post(
        f"/disputes/{dispute.number}/sessions/new/",
        {"held_on": today, "place": "调解室", "participants": "王五（民警）", "minutes": "双方达成一致。"},
    )
    assert page.status_code == 302
    page = client.post(
        f"/disputes/{dispute.number}/agreement/",
        {
            "form": "written",
            "terms": "乙方赔偿甲方500元。",
            "performance_method": "现金当面支付",
            "perform_by": today,
            "signed_on": today,
        },
    )
    assert page.status_code == 302
    move("resolve")
    pdf = client.get(f"/disputes/{dispute.number}/agreement.pdf")
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    scan = io.BytesIO()
    Image.new("L", (20, 30), 255).save(scan, "PNG")
    client.post(
        f"/disputes/{dispute.number}/agreement/signed/",
        {"file": SimpleUploadedFile("s.png", scan.getvalue())},
    )
    move("follow_up", note="已履行", visited_on=today, method="phone", performance="performed")
    move("archive")
    dispute.refresh_from_db()
    assert dispute.status == "archived" and dispute.agreement.performance == "performed"
    assert dispute.agreement.signed_copy_type == "image/png"
    assert client.get(f"/disputes/{dispute.number}/agreement/signed/").status_code == 200

    # the statistics and the board count it
    client.force_login(personas.station)
    stats = client.get("/disputes/statistics/").content.decode()
    # (one dispute is too few for a rate to compare: it shows with its count, core.rates)
    assert 'id="total-found"' in stats and "100%（1/1）" in stats
    assert client.get("/disputes/statistics.xlsx").status_code == 200
    quota = client.get("/disputes/quota/").content.decode()
    assert 'data-officer="officer_a"' in quota


def test_screening_page_files_and_lists(client, personas):
    client.force_login(personas.officer)
    page = client.post(
        "/disputes/screening/",
        {
            "unit": personas.territory.district_a.pk,
            "month": f"{timezone.localdate():%Y-%m}",
            "nil_return": "on",
        },
    )
    assert page.status_code == 302
    client.force_login(personas.station)
    body = client.get("/disputes/screening/").content.decode()
    assert 'data-officer="officer_a"' in body and 'class="screening-row"' in body
    # the station files no return of its own
    assert client.post("/disputes/screening/", {"month": "2026-01"}).status_code == 403


def test_residents_have_no_ledger(client, personas):
    client.force_login(personas.resident)
    for url in ("/disputes/", "/disputes/new/", "/disputes/quota/", "/disputes/statistics/"):
        assert client.get(url).status_code == 403, url
