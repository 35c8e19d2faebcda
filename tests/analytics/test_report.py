"""The weekly analysis report: made for every station, county and the city of a week; the PDF
parses and says the unit's figures; the XLSX's numbers are the dashboard's; the archive page and
the downloads are scoped (a station its own report, the city all, no one below a station any),
a download of a report naming cases is audited; the worker's job waits for Monday 08:00 and makes
each unit's report once; the station's people are told."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from fengqiao.analytics import directives, report
from fengqiao.analytics.dashboard import dashboard
from fengqiao.analytics.models import WeeklyReport
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications.models import Notification
from tests.core.test_notifications import WECOM_OK, HttpEndpoint, run_worker, wecom

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
WEEK = dt.date(2026, 11, 16)
SUNDAY = dt.date(2026, 11, 22)


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


@pytest.fixture
def week(personas, report, register, settings, tmp_path):
    """Burglaries and a robbery in station ps01's week, one in the week before and a year
    earlier, a red-grade dispute, a directive fed back; the files under a temporary data dir."""
    settings.DATA_DIR = tmp_path
    p, t = personas, personas.territory
    for day in (16, 17, 19):
        report("020111", title="入室盗窃案", at=at(2026, 11, day))
    report("020105", title="抢劫案", at=at(2026, 11, 18))
    report("020111", at=at(2026, 11, 10))
    report("020111", at=at(2025, 11, 18))
    report("020111", actor=p.city, at=at(2026, 11, 17), lon=106.005, lat=38.005)  # the other county
    register(at=at(2026, 11, 18), grade="red", title="宅基地边界争执（红色）")
    register(at=at(2026, 11, 19), grade="red", title='=HYPERLINK("http://x.example","点击")')
    order = directives.Order(
        grids=[t.grid_a],
        task=directives.Task.PATROL,
        title="入室盗窃高发巡逻",
        deadline=at(2026, 11, 21),
        source=directives.DirectiveSource.HOTSPOT,
    )
    (d,) = directives.issue(order, actor=p.station, at=at(2026, 11, 17))
    directives.move(
        d, "feed_back", actor=p.grid_a, version=d.version, note="夜间巡逻三次", at=at(2026, 11, 19)
    )
    return t


def figures_of(xlsx_path) -> dict:
    sheet = load_workbook(xlsx_path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return {row[-1]: row for row in rows[1:]}


def test_the_files_say_the_dashboards_figures(personas, week):
    p, t = personas, week
    call_command("weekly_report", "--week", "2026-W47", stdout=io.StringIO())
    made = {r.scope_path: r for r in WeeklyReport.objects.unscoped(reason="test")}
    assert set(made) == {t.city.path, t.county.path, t.station.path, t.county2.path, t.station2.path}

    station = made[t.station.path]
    board = dashboard(p.station, unit=t.station.path, start=WEEK, end=SUNDAY)
    rows = figures_of(report.reports_dir() / station.xlsx_name)
    assert rows["events.criminal"][3] == board.figures["events.criminal"].value == 4
    assert rows["events.burglary"][3] == 3 and rows["events.burglary"][4] == 1  # the week before: 1
    compared = 0
    for name, figure in board.figures.items():
        if name in rows and not figure.rate:
            assert rows[name][3:6] == (figure.value, figure.previous, figure.last_year), name
            compared += 1
    assert compared >= 15
    # a title that reads like a formula is a text cell, never a formula
    disputes = load_workbook(report.reports_dir() / station.xlsx_name).worksheets[3]
    planted = [c for row in disputes.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert len(planted) == 1 and planted[0].data_type == "s"
    city_rows = figures_of(report.reports_dir() / made[t.city.path].xlsx_name)
    assert city_rows["events.criminal"][3] == 5

    text = "".join(page.extract_text() for page in PdfReader(report.reports_dir() / station.pdf_name).pages)
    assert "金积派出所" in text and "2026" in text
    assert "宅基地边界争执（红色）" in text  # the red-grade dispute
    assert "入室盗窃高发巡逻" in text and "夜间巡逻三次" in text  # the directive and its feedback
    lines = [line.strip() for line in text.splitlines()]
    at_burglary = lines.index("入室盗窃（起）")  # the figures' table: a cell a line
    # this week, the week before, the same week a year earlier, their changes
    assert lines[at_burglary + 1 : at_burglary + 6] == ["3", "1", "1", "+200.00%", "+200.00%"]
    assert station.personal and station.summary["criminal"] == 4
    # The station's people are told, with a link to the archive.
    told = Notification.objects.filter(recipient=p.station, kind="weekly_report")
    assert told.count() == 1 and "2026-W47" in told.get().link


PERSONAS = ["grid_a", "grid_b", "officer", "station", "city", "resident"]


def test_the_archive_and_downloads_are_scoped(personas, week, client):
    """Every persona against every report (made once for the test, so not parametrised)."""
    p, t = personas, week
    made = report.make_all(WEEK, notify=False)
    seen = {"station": {t.station.path}, "city": {r.scope_path for r in made}}
    for persona in PERSONAS:
        client.force_login(getattr(p, persona))
        page = client.get(reverse("weekly_reports"))
        if persona in seen:
            assert page.status_code == 200, persona
            listed = {r.scope_path for r in made if f'data-unit="{r.scope_path}"' in page.content.decode()}
            assert listed == seen[persona], persona
        else:
            assert page.status_code == 403, persona
        for found in made:
            for kind in ("pdf", "xlsx"):
                before = AuditEntry.objects.filter(action="weekly_report_download").count()
                response = client.get(reverse("weekly_report_file", args=[found.pk, kind]))
                if found.scope_path in seen.get(persona, set()):
                    assert response.status_code == 200, (persona, found.scope_path)
                    body = b"".join(response.streaming_content)
                    assert body[:4] == (b"%PDF" if kind == "pdf" else b"PK\x03\x04")
                    after = AuditEntry.objects.filter(action="weekly_report_download").count()
                    assert after == before + (1 if found.personal else 0)
                else:
                    assert response.status_code == 404, (persona, found.scope_path)
    assert client.get(reverse("weekly_report_file", args=[made[0].pk, "exe"])).status_code == 404


def test_the_worker_waits_for_monday_eight_and_makes_each_report_once(personas, week):
    monday = dt.datetime(2026, 11, 23, 7, 30, tzinfo=TZ)
    assert report.weekly_job(monday) == 0
    assert report.weekly_job(monday + dt.timedelta(hours=1)) == 5
    assert report.weekly_job(monday + dt.timedelta(hours=2)) == 0
    assert set(WeeklyReport.objects.unscoped(reason="test").values_list("week", flat=True)) == {WEEK}


def test_the_stations_wecom_group_hears_of_its_report(personas, week, django_capture_on_commit_callbacks):
    # given the WeCom group bot of station ps01, a local HTTP server
    endpoint = HttpEndpoint()
    endpoint.answer((200, WECOM_OK))
    try:
        wecom(f"{endpoint.url}/cgi-bin/webhook/send?key=ps01", scope_path=week.station.path)
        # when the station's report is made, and the worker delivers
        with django_capture_on_commit_callbacks(execute=True):
            report.make(week.station, WEEK)
        assert run_worker() >= 1
        # then the group got the report's announcement, with its figures
        (request,) = endpoint.requests
        content = request["json"]["text"]["content"]
        assert content.startswith("金积派出所研判报告 · 2026年第47周") and "刑事案件4起" in content
    finally:
        endpoint.stop()
