"""Outreach in Chromium: a community officer drafts an anti-fraud warning for grid A's groups and
submits it; the station chief approves it; the worker posts it to the group's WeCom bot (a local
server standing in for WeCom) and the campaign page shows the delivery recorded. Then the officer
logs an anti-fraud consultation."""

import pytest

from fengqiao.outreach.choices import CampaignStatus, ConsultationOutcome, DeliveryState
from fengqiao.outreach.models import Campaign, CampaignDelivery, Consultation
from tests.browser.conftest import DESKTOP, _open
from tests.core.test_notifications import HttpEndpoint, run_worker
from tests.outreach.conftest import build_world

pytestmark = pytest.mark.browser

TITLE = "警惕冒充客服退款诈骗"
BODY = "凡是自称客服主动退款、要求共享屏幕的都是诈骗<b>切勿</b>转账"


@pytest.fixture
def wecom():
    endpoint = HttpEndpoint()
    endpoint.answer((200, {"errcode": 0, "errmsg": "ok"}))
    yield endpoint
    endpoint.stop()


@pytest.fixture(autouse=True)
def vapid_key(settings, tmp_path):
    settings.FENGQIAO_VAPID_KEY_FILE = str(tmp_path / "vapid.pem")


def test_a_campaign_approved_by_the_station_reaches_the_wecom_group(
    browser, live_server, personas, wecom, categories
):
    world = build_world(personas, bot_url=f"{wecom.url}/cgi-bin/webhook/send?key=demo")
    t = personas.territory
    officer_context, officer = _open(browser, live_server, DESKTOP)
    chief_context, chief = _open(browser, live_server, DESKTOP)
    try:
        # given the community officer, who finds the module in the menu
        officer.login("officer_a")
        page = officer.page
        assert page.locator('nav [data-module="outreach"]').count() == 1
        officer.goto("/outreach/campaigns/new/")
        page.locator("#id_kind").select_option("anti_fraud")
        page.locator("#id_title").fill(TITLE)
        page.locator("#id_body").fill(BODY)
        page.locator("#id_grids").select_option(str(t.grid_a.pk))
        with page.expect_navigation():
            page.locator("form.card button[type=submit]").click()
        campaign = Campaign.objects.unscoped(reason="test").get(title=TITLE)
        assert page.url.endswith(f"/outreach/campaigns/{campaign.pk}/")
        # when he submits it, it waits for the station chief and he cannot approve it himself
        with page.expect_navigation():
            page.get_by_role("button", name="提交审批").click()
        assert page.locator("#campaign-status").text_content().strip() == "待审批"
        assert page.get_by_role("button", name="批准并发送").count() == 0
        run_worker()
        assert wecom.requests == []
        # when the station chief approves it
        chief.login("station")
        chief.goto(f"/outreach/campaigns/?status={CampaignStatus.SUBMITTED}")
        with chief.page.expect_navigation():
            chief.page.get_by_role("link", name=TITLE).click()
        with chief.page.expect_navigation():
            chief.page.get_by_role("button", name="批准并发送").click()
        # and the worker runs
        run_worker()
        # then the group's bot got the text (as text, tags and all), and the delivery is on the page
        (request,) = wecom.requests
        assert request["json"] == {"msgtype": "text", "text": {"content": f"{TITLE}\n{BODY}"}}
        chief.page.reload()
        assert chief.page.locator("#campaign-status").text_content().strip() == "已发送"
        row = chief.page.locator("#deliveries tbody tr")
        assert row.count() == 1
        assert "金积村警民群" in row.text_content() and "已发送" in row.text_content()
        assert "1" in chief.page.locator("#campaign-counts").text_content()
        assert (
            CampaignDelivery.objects.get(campaign=campaign, group=world.groups["A"]).status
            == DeliveryState.SENT
        )
        # the CAP export is offered
        cap = chief.page.request.get(officer.url(f"/outreach/campaigns/{campaign.pk}/cap.xml"))
        assert cap.status == 200 and b"urn:oasis:names:tc:emergency:cap:1.2" in cap.body()

        # when the officer logs a consultation of a resident he talked out of paying
        officer.goto("/outreach/consultations/new/")
        page.locator("#id_channel").select_option("phone")
        page.locator("#id_scam_type").select_option("customer_service")
        page.locator("#id_summary").fill("接到自称快递客服电话，称包裹丢失要理赔，要求下载会议软件。")
        page.locator("#id_amount_at_stake").fill("6000")
        page.locator("#id_outcome").select_option("dissuaded")
        page.locator("#id_grid").select_option(str(t.grid_a.pk))
        page.locator("#id_resident_phone").fill("13900001234")
        with page.expect_navigation():
            page.locator("form.card button[type=submit]").click()
        # then it is recorded and shown, the phone masked
        assert page.locator("#outcome").text_content().strip() == "成功劝阻"
        assert "13900001234" not in page.content()
        consultation = Consultation.objects.unscoped(reason="test").get()
        assert (consultation.outcome, consultation.taken_by) == (
            ConsultationOutcome.DISSUADED,
            personas.officer,
        )
        for visit in (officer, chief):
            assert visit.outside == [] and visit.failed == [] and visit.errors == []
    finally:
        officer_context.close()
        chief_context.close()
