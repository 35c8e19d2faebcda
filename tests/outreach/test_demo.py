"""The demo's outreach: groups spread over the grids, a year of station campaigns whose counts are
their delivery rows', and nothing made twice."""

from django.db.models import Count, Q

from fengqiao.demo import outreach
from fengqiao.outreach.choices import DeliveryState
from fengqiao.outreach.models import (
    Campaign,
    CampaignDelivery,
    Consultation,
    Lecture,
    MemberCount,
    ResidentGroup,
)


def test_the_demo_year_adds_up(personas, categories):
    counts = outreach.generate(actor=personas.admin, scale=0.002, seed=3)
    groups = ResidentGroup.objects.unscoped(reason="test")
    campaigns = Campaign.objects.unscoped(reason="test")
    assert groups.count() == 5 and MemberCount.objects.count() == 25
    assert {g.grid.scope_path for g in groups} == {g.scope_path for g in groups}
    # each station's groups hear about 200 campaigns a year, one delivery row per group each
    stations = {"/".join(g.scope_path.split("/")[:3]) for g in groups}
    assert campaigns.count() == 200 * len(stations)
    assert CampaignDelivery.objects.count() == 200 * groups.count()
    for campaign in campaigns.annotate(
        n=Count("deliveries"), ok=Count("deliveries", filter=Q(deliveries__status=DeliveryState.SENT))
    )[:50]:
        assert (campaign.recipients, campaign.delivered) == (campaign.n, campaign.ok)
        assert all(
            d.group.scope_path.startswith(campaign.scope_path + "/") for d in campaign.deliveries.all()
        )
    assert sum(campaigns.values_list("delivered", flat=True)) == list(counts.values())[3]
    assert Consultation.objects.unscoped(reason="test").count() == 24
    assert Lecture.objects.unscoped(reason="test").count() == 6
    # a second run leaves it alone; clearing removes it all
    assert outreach.generate(actor=personas.admin, scale=0.002, seed=3) is None
    outreach.clear()
    assert not ResidentGroup.objects.unscoped(reason="test").exists()
    assert not CampaignDelivery.objects.exists()
