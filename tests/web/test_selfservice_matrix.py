"""The certificate pages join the scoping matrix: the staff list, a certificate's page, its
document and each of its steps. Certificates live at the station that decides them, so a grid
worker or a community officer sees none (404 on each, never a 403 that would confirm one), the
station its own, the city all; the applicant's review is no staff door."""

import pytest

from fengqiao.core import casework
from fengqiao.registry.validators import make_id_number
from fengqiao.selfservice.actions import move
from fengqiao.selfservice.models import Certificate
from fengqiao.selfservice.workflow import CERTIFICATE_WORKFLOW
from tests.fixtures.matrix import PERSONAS, ScopedRoutes, ScopingMatrix

pytestmark = pytest.mark.django_db

# Certificates are the stations' work: below a station nobody sees them.
SEES = {"station": {"A", "B"}, "city": {"A", "B", "C"}}


def make(station, n: int, **extra) -> Certificate:
    import datetime as dt

    certificate = Certificate(
        station=station,
        scope_path=station.path,
        holder_path=station.path,
        channel="portal",
        applicant_name=f"申请人{n}",
        id_number=make_id_number("640302", dt.date(1990, 1, n), "M", n),
        phone=f"1380000000{n}",
        purpose="employment",
        **extra,
    )
    return casework.open_case(certificate, actor=None, county=station.path.split("/")[1], quiet=True)


@pytest.fixture(autouse=True)
def certificates(personas):
    t = personas.territory
    t.certificates = {"A": make(t.station, 1), "B": make(t.station, 2), "C": make(t.station2, 3)}
    return t.certificates


def everything():
    return Certificate.objects.unscoped(reason="test: did the step go through")


ROUTES = ScopedRoutes(
    name="certificate pages",
    model=Certificate,
    door="web",
    objects=lambda t: t.certificates,
    key=lambda c: c.number,
    list_url="/certificates/",
    detail_url=lambda c: f"/certificates/{c.number}/",
)


class TestCertificatePages(ScopingMatrix):
    ROUTES = [ROUTES]

    def visible_places(self, persona):
        return SEES.get(persona, set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_document_of_a_certificate_outside_scope_is_404(persona, personas, client):
    for certificate in personas.territory.certificates.values():
        move(certificate, "issue", actor=personas.city, version=certificate.version)
    client.force_login(getattr(personas, persona))
    for place, certificate in personas.territory.certificates.items():
        status = client.get(f"/certificates/{certificate.number}/document.pdf").status_code
        assert status == (200 if place in SEES.get(persona, set()) else 404), f"{persona} / {place}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_step_on_a_certificate_outside_scope_is_404_and_moves_nothing(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for place, certificate in personas.territory.certificates.items():
        for transition in CERTIFICATE_WORKFLOW.transitions:
            certificate = everything().get(pk=certificate.pk)
            data = {f"{transition.name}-version": certificate.version, f"{transition.name}-note": "矩阵"}
            response = client.post(f"/certificates/{certificate.number}/move/{transition.name}/", data)
            after = everything().get(pk=certificate.pk)
            if place in SEES.get(persona, set()) and not transition.public:
                assert response.status_code != 404, f"{persona} / {place} / {transition.name}"
            else:
                assert response.status_code == 404, f"{persona} / {place} / {transition.name}"
                assert after.version == certificate.version and after.status == certificate.status


API_ROUTES = ScopedRoutes(
    name="certificate API",
    model=Certificate,
    door="api",
    objects=lambda t: t.certificates,
    key=lambda c: c.number,
    list_url="/api/v1/selfservice/certificates",
    detail_url=lambda c: f"/api/v1/selfservice/certificates/{c.number}",
)


class TestCertificateApi(ScopingMatrix):
    ROUTES = [API_ROUTES]

    def visible_places(self, persona):
        return SEES.get(persona, set())
