"""Case information carries the classification the figures count: from the category at intake,
from the 110 export's words on import (criminal or administrative, the crime class, the kind of
fraud), and solved — when and how — by a station."""

import csv
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.events.actions import solve_event
from fengqiao.events.importing import import_110
from fengqiao.events.models import Event
from fengqiao.events.selectors import EventFilter, events_for

pytestmark = pytest.mark.django_db

HEADER = ["接警单编号", "报警时间", "报警人", "联系电话", "案发地址", "经度", "纬度", "警情类别", "警情内容"]
IN_A = ("106.105", "37.905")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def write_csv(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def line(number, category, text="居民报警称家中财物被盗。"):
    return [number, "2026-11-05 14:23:11", "刘洋", "13909531234", "", *IN_A, category, text]


def test_the_110_import_classes_each_incident_by_its_words(personas, categories, tmp_path):
    # given an export whose categories name crimes in the dispatch system's words
    rows = [
        line("A1", "刑事警情/入室盗窃"),
        line("A2", "盗窃电动车"),
        line("A3", "两抢"),
        line("A4", "抢夺"),
        line("A5", "电信诈骗", "接到自称客服电话，被骗刷单返利 3 万元。"),
        line("A6", "治安类-打架斗殴", "两人酒后打架。"),
        line("A7", "刑事警情", "家中被入室盗窃，丢失现金。"),
        line("A8", "交通事故", "两车追尾。"),
    ]
    # when it is imported
    result = import_110(write_csv(tmp_path / "110.csv", rows), actor=personas.station)
    # then every row is in, as an incident with its class
    assert result.counts()["inserted"] == 8, result.rejections
    got = {
        e.external_id: (e.kind, e.category.code, e.offence, e.crime_class, e.fraud_type)
        for e in Event.objects.visible_to(personas.station).select_related("category")
    }
    assert got == {
        "A1": ("incident", "0101", "criminal", "burglary", ""),
        "A2": ("incident", "0101", "criminal", "ebike_theft", ""),
        "A3": ("incident", "0101", "criminal", "", ""),  # 两抢 names two classes: the category's offence
        "A4": ("incident", "0101", "criminal", "snatching", ""),
        "A5": ("incident", "0104", "criminal", "fraud", "order_brushing"),
        "A6": ("incident", "0102", "administrative", "", ""),
        "A7": ("incident", "0101", "criminal", "burglary", ""),
        "A8": ("incident", "0103", "", "", ""),
    }
    # and the list's filters find them by class and group
    listed = EventFilter(crime="theft", offence="criminal").apply(events_for(personas.station))
    assert sorted(listed.values_list("external_id", flat=True)) == ["A1", "A2", "A7"]


def test_a_case_takes_its_category_class_and_is_solved_by_a_station(personas, report):
    case = report("020105", title="持刀抢劫案")
    assert (case.kind, case.offence, case.crime_class) == ("case", "criminal", "robbery")
    social = report("0401")
    assert (social.offence, social.crime_class) == ("", "")
    # a grid worker may not record it solved, nor may anyone solve what is no crime
    with pytest.raises(PermissionDenied):
        solve_event(case, actor=personas.grid_a, method="video")
    with pytest.raises(ValidationError):
        solve_event(social, actor=personas.station, method="video")
    with pytest.raises(ValidationError):
        solve_event(case, actor=personas.station, method="guesswork")
    solved = solve_event(case, actor=personas.station, method="video")
    assert solved.solved_by == "video" and solved.solved_at is not None
    by_video = EventFilter(solved_by="video").apply(events_for(personas.station))
    assert list(by_video) == [solved]
