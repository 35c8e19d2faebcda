"""The outreach pages and API join the scoping matrix: every persona on the groups, campaigns,
consultations and lectures of grids A, B and C (lists show exactly what is in scope, anything else
is 404, nobody creates outside their scope)."""

import json

import pytest
from django.utils import timezone

from fengqiao.events.choices import FraudType
from fengqiao.outreach import actions
from fengqiao.outreach.choices import ConsultationChannel, ConsultationOutcome, LectureKind, MessageKind
from fengqiao.outreach.models import Campaign, Consultation, Lecture, ResidentGroup
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.outreach.conftest import build_world

PLACES = ("A", "B", "C")


@pytest.fixture(autouse=True)
def outreach_places(personas):
    t = personas.territory
    grids = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}
    authors = {"A": personas.grid_a, "B": personas.grid_b, "C": personas.city}
    t.groups = build_world(personas).groups
    t.campaigns = {
        place: actions.draft_campaign(
            actor=authors[place],
            kind=MessageKind.PREVENTION,
            title=f"防盗提醒{place}",
            body="锁好门窗",
            grids=[grids[place]],
        )
        for place in PLACES
    }
    t.consultations = {
        place: actions.log_consultation(
            actor=authors[place],
            channel=ConsultationChannel.PHONE,
            scam_type=FraudType.ORDER_BRUSHING,
            summary=f"刷单咨询{place}",
            outcome=ConsultationOutcome.NOT_FRAUD,
            grid=grids[place],
        )
        for place in PLACES
    }
    t.lectures = {
        place: actions.record_lecture(
            actor=authors[place],
            kind=LectureKind.LAW_TIME,
            held_on=timezone.localdate(),
            place_text="村委会",
            topic=f"普法讲座{place}",
            speaker="王五",
            attendance=30,
            grid=grids[place],
        )
        for place in PLACES
    }
    t.grids_by_place = grids
    return t


def _grid(t, place):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}[place]


GROUP_PAGES = ScopedRoutes(
    name="group pages",
    model=ResidentGroup,
    door="web",
    objects=lambda t: t.groups,
    key=lambda g: f'href="/outreach/groups/{g.pk}/"',
    list_url="/outreach/",
    detail_url=lambda g: f"/outreach/groups/{g.pk}/",
    edit_url=lambda g: f"/outreach/groups/{g.pk}/edit/",
    edit_payload=lambda g: {"name": "改名网格", "platform": g.platform, "is_active": "on"},
    create_url="/outreach/groups/new/",
    create_payload=lambda t, place: {
        "name": f"矩阵群{place}",
        "platform": "wechat",
        "grid": _grid(t, place).pk,
        "members": "5",
    },
    created=lambda t, place: ResidentGroup.objects.unscoped(reason="test").filter(name=f"矩阵群{place}"),
    may_change=actions.may_manage,
)

GROUP_API = ScopedRoutes(
    name="group API",
    model=ResidentGroup,
    door="api",
    objects=lambda t: t.groups,
    key=lambda g: json.dumps(g.name),
    list_url="/api/v1/outreach/groups?limit=100",
    detail_url=lambda g: f"/api/v1/outreach/groups/{g.pk}",
    create_url="/api/v1/outreach/groups",
    create_payload=lambda t, place: {"name": f"接口群{place}", "platform": "qq", "grid": _grid(t, place).pk},
    created=lambda t, place: ResidentGroup.objects.unscoped(reason="test").filter(name=f"接口群{place}"),
    may_change=actions.may_manage,
)

CAMPAIGN_PAGES = ScopedRoutes(
    name="campaign pages",
    model=Campaign,
    door="web",
    objects=lambda t: t.campaigns,
    key=lambda c: f'href="/outreach/campaigns/{c.pk}/"',
    list_url="/outreach/campaigns/",
    detail_url=lambda c: f"/outreach/campaigns/{c.pk}/",
    create_url="/outreach/campaigns/new/",
    create_payload=lambda t, place: {
        "kind": "prevention",
        "title": f"矩阵提醒{place}",
        "body": "注意防火",
        "grids": [_grid(t, place).pk],
        "to_groups": "on",
    },
    created=lambda t, place: Campaign.objects.unscoped(reason="test").filter(title=f"矩阵提醒{place}"),
    may_change=actions.may_manage,
)

CAMPAIGN_API = ScopedRoutes(
    name="campaign API",
    model=Campaign,
    door="api",
    objects=lambda t: t.campaigns,
    key=lambda c: json.dumps(c.title),
    list_url="/api/v1/outreach/campaigns?limit=100",
    detail_url=lambda c: f"/api/v1/outreach/campaigns/{c.pk}",
)

CONSULTATION_PAGES = ScopedRoutes(
    name="consultation pages",
    model=Consultation,
    door="web",
    objects=lambda t: t.consultations,
    key=lambda c: f'href="/outreach/consultations/{c.pk}/"',
    list_url="/outreach/consultations/",
    detail_url=lambda c: f"/outreach/consultations/{c.pk}/",
    create_url="/outreach/consultations/new/",
    create_payload=lambda t, place: {
        "channel": "phone",
        "scam_type": "loan",
        "summary": f"矩阵咨询{place}",
        "outcome": "dissuaded",
        "grid": _grid(t, place).pk,
    },
    created=lambda t, place: Consultation.objects.unscoped(reason="test").filter(summary=f"矩阵咨询{place}"),
    may_change=actions.may_manage,
)

CONSULTATION_API = ScopedRoutes(
    name="consultation API",
    model=Consultation,
    door="api",
    objects=lambda t: t.consultations,
    key=lambda c: json.dumps(c.summary),
    list_url="/api/v1/outreach/consultations?limit=100",
    detail_url=lambda c: f"/api/v1/outreach/consultations/{c.pk}",
    create_url="/api/v1/outreach/consultations",
    create_payload=lambda t, place: {
        "channel": "online",
        "scam_type": "credit",
        "summary": f"接口咨询{place}",
        "outcome": "not_fraud",
        "grid": _grid(t, place).pk,
    },
    created=lambda t, place: Consultation.objects.unscoped(reason="test").filter(summary=f"接口咨询{place}"),
    may_change=actions.may_manage,
)

LECTURE_PAGES = ScopedRoutes(
    name="lecture pages",
    model=Lecture,
    door="web",
    objects=lambda t: t.lectures,
    key=lambda lecture: f'href="/outreach/lectures/{lecture.pk}/"',
    list_url="/outreach/lectures/",
    detail_url=lambda lecture: f"/outreach/lectures/{lecture.pk}/",
    create_url="/outreach/lectures/new/",
    create_payload=lambda t, place: {
        "kind": "stall",
        "held_on": timezone.localdate().isoformat(),
        "place_text": "集市",
        "topic": f"矩阵讲座{place}",
        "speaker": "王五",
        "attendance": "10",
        "grid": _grid(t, place).pk,
    },
    created=lambda t, place: Lecture.objects.unscoped(reason="test").filter(topic=f"矩阵讲座{place}"),
    may_change=actions.may_manage,
)


class TestOutreachRoutes(ScopingMatrix):
    ROUTES = [
        GROUP_PAGES,
        GROUP_API,
        CAMPAIGN_PAGES,
        CAMPAIGN_API,
        CONSULTATION_PAGES,
        CONSULTATION_API,
        LECTURE_PAGES,
    ]


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station"])
def test_cap_export_and_campaign_moves_are_404_outside_scope(persona, personas, client):
    client.force_login(getattr(personas, persona))
    t = personas.territory
    for place in PLACES:
        campaign = t.campaigns[place]
        visible = place in {"grid_a": "A", "officer": "A", "station": "AB"}[persona]
        assert client.get(f"/outreach/campaigns/{campaign.pk}/cap.xml").status_code == (
            200 if visible else 404
        )
        moved = client.post(f"/outreach/campaigns/{campaign.pk}/submit/").status_code
        assert moved == (302 if visible else 404), place
