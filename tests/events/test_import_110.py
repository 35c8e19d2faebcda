"""``fengqiao import_110``: incidents from a 110 dispatch export (CSV in UTF-8 or GBK, XLSX) become
events of channel 110; bad rows go to an error file with line, column and reason; the incident
number makes a second import change nothing."""

import csv
import datetime as dt
import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from openpyxl import Workbook

from fengqiao.core.importing.errors import read_error_file
from fengqiao.core.models import AuditEntry, TimelineEntry
from fengqiao.events.choices import Channel, Status
from fengqiao.events.importing import AUDIT_OBJECT_TYPE, import_110, parse_time
from fengqiao.events.models import Event
from fengqiao.geo import locator
from fengqiao.geo.datum import wgs84_point_to_gcj02
from fengqiao.registry.importing.base import RowRejected
from tests.fixtures.registry import make_address

pytestmark = pytest.mark.django_db

HEADER = [
    *("接警单编号", "报警时间", "报警人", "联系电话", "案发地址"),
    *("经度", "纬度", "警情类别", "警情内容", "处理结果"),
]
ERROR_COLUMNS = ["错误行号", "错误列", "错误原因"]
# Points inside grid A (106.10–106.11, 37.90–37.91), grid B (east of A) and grid C (another county).
IN_A = ("106.105", "37.905")
IN_B = ("106.115", "37.905")
IN_C = ("106.005", "38.005")
OUTSIDE = ("105.5", "37.5")
LONG_TEXT = (
    "居民来电称楼下有两名男子因停车问题发生争吵并有推搡行为，情绪激动，"
    "请求民警到场处理，现场无人受伤，双方已被劝开。"
)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture(autouse=True)
def english():
    """Messages are read in their English source form; zh-hans is the site default."""
    locator.reset()
    with translation.override("en"):
        yield
    locator.reset()


@pytest.fixture
def home(personas):
    return make_address(personas.territory.grid_a, street="利宁街", door_plate="8")


def write_csv(path: Path, header, rows, *, encoding="utf-8") -> Path:
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return Path(path)


def read_csv(path, *, encoding="utf-8"):
    """A CSV file's rows; an error file the system sealed on disk is opened as its page does."""
    return list(csv.reader(StringIO(read_error_file(Path(path)).decode(encoding), newline="")))


def write_xlsx(path: Path, header, rows) -> Path:
    """As Excel saves it: times as date cells, numbers as numbers."""
    book = Workbook()
    sheet = book.active
    sheet.title = "警情"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return Path(path)


def row(number, time="2026-03-05 14:23:11", *, name="刘洋", phone="13909531234", address="",
        point=IN_A, category="治安警情", text=LONG_TEXT, outcome=""):  # fmt: skip
    lon, lat = point if point else ("", "")
    return [number, time, name, phone, address, lon, lat, category, text, outcome]


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def run(*args, progress=False):
    out, err = StringIO(), StringIO()
    flags = () if progress else ("--no-progress",)
    call_command("import_110", *args, *flags, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------------------------
# the good rows


def test_utf8_export_becomes_events_of_channel_110(personas, categories, home, tmp_path):
    # given: a station's export with a point, a code and a path of categories, an address only
    path = write_csv(
        tmp_path / "110.csv",
        HEADER,
        [
            row("J2026030500001", outcome="已调解，双方和解"),
            row("J2026030500002", "2026/3/5 15:02", point=IN_B, category="0101", text="电动车被盗"),
            row(
                "J2026030500003",
                "2026年3月5日 16时40分",
                point=None,
                address=home.full_text,
                category="纠纷类/邻里纠纷",
                text="邻里因漏水发生纠纷",
                name="",
                phone="",
            ),
        ],
    )

    # when
    result = import_110(path, actor=personas.station)

    # then
    assert result.counts() == {"read": 3, "inserted": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert result.errors_file == ""
    events = {e.external_id: e for e in Event.objects.unscoped(reason="test")}
    first, second, third = (events[f"J202603050000{n}"] for n in (1, 2, 3))
    t = personas.territory

    assert first.channel == Channel.DISPATCH_110 and first.status == Status.REPORTED
    assert first.grid == t.grid_a and first.category.code == "0102"
    assert first.opened_at == local(2026, 3, 5, 14, 23, 11)
    assert first.number == "E-640302-20260305-0001"
    assert first.title == LONG_TEXT[:40]
    assert first.description == f"{LONG_TEXT}\n\n处理结果：已调解，双方和解"
    assert (first.reporter_name, first.reporter_phone) == ("刘洋", "13909531234")
    assert first.holder_path == t.station.path  # police incidents go straight to the station
    assert [(e.transition, e.at) for e in first.timeline()] == [("open", local(2026, 3, 5, 14, 23, 11))]

    assert second.grid == t.grid_b and second.category.code == "0101"
    assert second.opened_at == local(2026, 3, 5, 15, 2)

    assert third.grid == t.grid_a and third.address == home and third.lon is None
    assert third.category.code == "0402" and third.holder_path == t.grid_a.scope_path
    assert third.opened_at == local(2026, 3, 5, 16, 40)
    assert third.reporter_name == "" and third.title == "邻里因漏水发生纠纷"

    # one audit entry for the import, with the file's hash; each event its own report entry
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = AuditEntry.objects.get(action="import", object_type=AUDIT_OBJECT_TYPE)
    assert entry.object_id == sha and entry.actor == personas.station
    assert entry.after["sha256"] == sha and entry.after["inserted"] == 3 and entry.after["datum"] == "wgs84"
    assert AuditEntry.objects.filter(action="event_report").count() == 3


def test_gbk_export_with_gcj02_points_and_other_headers(personas, categories, tmp_path):
    # given: a GBK file whose points are GCJ-02 (as Chinese maps give them) and whose columns use
    # other usual names (简要案情, 接警时间, 事发地址); the WGS-84 point is in grid A near its east
    # edge, where its GCJ-02 spelling would fall into grid B
    lon, lat = wgs84_point_to_gcj02(106.108, 37.905)
    header = [
        *("警情编号", "接警时间", "报警人姓名", "报警电话", "事发地址"),
        *("经度", "纬度", "警情类型", "简要案情"),
    ]
    path = write_csv(
        tmp_path / "gbk.csv",
        header,
        [
            [
                "110-0001",
                "2026-03-06 08:00:00",
                "马丽",
                "0953-1234567",
                "金积村某巷",
                lon,
                lat,
                "交通事故",
                "剐蹭",
            ]
        ],
        encoding="gbk",
    )

    # when
    result = import_110(path, actor=personas.station, datum="gcj02")

    # then
    assert result.inserted == 1 and result.encoding == "GB18030"
    event = Event.objects.unscoped(reason="test").get(external_id="110-0001")
    assert event.grid == personas.territory.grid_a and event.category.code == "0103"
    assert event.lon == pytest.approx(106.108, abs=1e-6) and event.lat == pytest.approx(37.905, abs=1e-6)
    assert event.address_text == "金积村某巷" and event.reporter_name == "马丽"
    assert AuditEntry.objects.get(action="import", object_type=AUDIT_OBJECT_TYPE).after["datum"] == "gcj02"


def test_the_same_gcj02_point_read_as_wgs84_lands_elsewhere(personas, categories, tmp_path):
    lon, lat = wgs84_point_to_gcj02(106.108, 37.905)
    path = write_csv(tmp_path / "a.csv", HEADER, [row("N1", point=(lon, lat))])
    import_110(path, actor=personas.station)
    assert Event.objects.unscoped(reason="test").get().grid == personas.territory.grid_b


def test_xlsx_with_date_cells_and_numbers_and_an_xlsx_error_file(personas, categories, tmp_path):
    # given: Excel made the incident number and the phone numbers, and the time a date cell
    point = (106.105, 37.905)
    path = write_xlsx(
        tmp_path / "110.xlsx",
        HEADER,
        [
            [
                20260305000123,
                dt.datetime(2026, 3, 5, 9, 30),
                "刘洋",
                13909531234,
                "",
                *point,
                "刑事警情/盗窃",
                "被盗",
            ],
            [20260305000124, "昨天", "", "", "", *point, "治安警情", "噪音扰民"],
            [2.0260305000125e19, dt.datetime(2026, 3, 5, 10, 0), "", "", "", *point, "治安", "x"],
        ],
    )
    errors = tmp_path / "rejected.xlsx"

    # when
    result = import_110(path, actor=personas.station, errors_path=errors)

    # then
    assert result.counts() == {"read": 3, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    event = Event.objects.unscoped(reason="test").get()
    assert event.external_id == "20260305000123" and event.reporter_phone == "13909531234"
    assert event.opened_at == local(2026, 3, 5, 9, 30) and event.category.code == "0101"

    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(errors))
    rows = [list(r) for r in book.get_sheet_by_index(0).iter_rows()]
    book.close()
    assert rows[0] == HEADER + ERROR_COLUMNS
    assert [(r[0], r[-3], r[-2]) for r in rows[1:]] == [
        ("20260305000124", 3, "报警时间"),
        ("2.02603E+19", 4, "接警单编号"),
    ]
    assert "昨天 is not a time" in rows[1][-1]
    assert "turned into a number by Excel" in rows[2][-1]


# ---------------------------------------------------------------------------------------------
# the bad rows


def test_bad_rows_never_stop_the_import_and_each_is_reported(personas, categories, home, tmp_path):
    # given
    rows = [
        row("A1"),  # line 2: good
        row("A2", category="飞碟"),  # 3: unknown category
        row("A3", "2026-02-30 10:00"),  # 4: impossible time
        row("A4", "2099-01-01 10:00"),  # 5: in the future
        row("A5", point=OUTSIDE),  # 6: outside the territory
        row("A1", category="0101"),  # 7: a number seen on line 2
        row("", point=IN_B),  # 8: no number
        row("A8", text="  "),  # 9: nothing said
        row("A9", point=None),  # 10: neither point nor address
        row("A10", point=None, address="不存在路1号"),  # 11: no such address
        row("A11", point=("106.105", "")),  # 12: half a point
        row("A12", point=None, address=home.full_text, text="短"),  # 13: good, placed by address
        row("A13", ""),  # 14: no time
        row("A14", point=("abc", "37.9")),  # 15: not a number
    ]
    path = write_csv(tmp_path / "110.csv", HEADER, rows)
    errors = tmp_path / "out" / "errors.csv"
    errors.parent.mkdir()

    # when
    result = import_110(path, actor=personas.station, errors_path=errors)

    # then: the good rows are in, every bad one is in the error file with its line and column
    assert result.counts() == {"read": 14, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 12}
    assert set(Event.objects.unscoped(reason="test").values_list("external_id", flat=True)) == {"A1", "A12"}
    assert AuditEntry.objects.filter(action="event_report").count() == 2
    assert TimelineEntry.objects.count() == 2

    written = read_csv(errors)
    assert written[0] == HEADER + ERROR_COLUMNS
    # the rows as read (cells stripped of blanks), so they can be fixed and imported again
    expected = [[c.strip() for c in rows[i]] for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13)]
    assert [r[:-3] for r in written[1:]] == expected
    found = {int(r[-3]): (r[-2], r[-1]) for r in written[1:]}
    assert found == {
        3: ("警情类别", "Unknown category: 飞碟."),
        4: ("报警时间", "2026-02-30 10:00 is not a possible time"),
        5: ("报警时间", "2099-01-01 10:00 is in the future"),
        6: ("经度", "This point is outside the territory."),
        7: ("接警单编号", "the same 接警单编号 is on line 2 already"),
        8: ("接警单编号", "Required."),
        9: ("警情内容", "Required."),
        10: ("案发地址", "no place: the row has neither a point nor an address"),
        11: ("案发地址", found[11][1]),
        12: ("纬度", found[12][1]),
        14: ("报警时间", "Required."),
        15: ("经度", found[15][1]),
    }
    assert found[11][1].startswith("no place: unknown address 不存在路1号")
    assert "both longitude and latitude" in found[12][1]
    assert "'abc'" in found[15][1]


def test_a_row_outside_the_importers_area_leaves_nothing(personas, categories, tmp_path):
    # given: the station imports an export that also holds an incident of another county
    path = write_csv(tmp_path / "110.csv", HEADER, [row("C1", point=IN_C), row("A1")])
    errors = tmp_path / "errors.csv"

    # when
    result = import_110(path, actor=personas.station, errors_path=errors)

    # then: the other county's row is undone whole: no event, timeline, audit entry or number
    assert (result.inserted, result.rejected) == (1, 1)
    event = Event.objects.unscoped(reason="test").get()
    assert event.external_id == "A1" and event.number.endswith("-0001")
    assert TimelineEntry.objects.count() == 1
    assert AuditEntry.objects.filter(action="event_report").count() == 1
    assert read_csv(errors)[1][-3:] == ["2", "经度", "This place is outside your area."]
    # the city sees the whole territory and may import it
    assert import_110(path, actor=personas.city).counts()["inserted"] == 1


def test_a_zero_point_means_no_point_and_the_address_places_it(personas, categories, home, tmp_path):
    path = write_csv(tmp_path / "110.csv", HEADER, [row("Z1", point=("0", "0"), address=home.full_text)])
    assert import_110(path, actor=personas.station, datum="gcj02").inserted == 1
    event = Event.objects.unscoped(reason="test").get()
    assert event.address == home and event.lon is None and event.grid == personas.territory.grid_a


def test_only_staff_may_import(personas, categories, tmp_path):
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1")])
    with pytest.raises(PermissionDenied):
        import_110(path, actor=personas.resident)
    assert not Event.objects.unscoped(reason="test").exists()


# ---------------------------------------------------------------------------------------------
# idempotence


def test_importing_the_same_file_twice_changes_nothing_and_says_so(personas, categories, tmp_path):
    # given
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1"), row("A2", point=IN_B), row("A3", "bad")])
    first = import_110(path, actor=personas.station)
    before = list(Event.objects.unscoped(reason="test").order_by("pk").values())

    # when
    again = import_110(path, actor=personas.station)

    # then
    assert first.counts() == {"read": 3, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert again.counts() == {"read": 3, "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 1}
    assert list(Event.objects.unscoped(reason="test").order_by("pk").values()) == before
    assert "nothing changed: this file was imported before" in again.message
    assert "by station" in again.message
    assert AuditEntry.objects.filter(action="import", object_type=AUDIT_OBJECT_TYPE).count() == 2
    assert AuditEntry.objects.filter(action="event_report").count() == 2

    # a later export repeating the same incidents adds only the new one
    later = write_csv(tmp_path / "later.csv", HEADER, [row("A2", point=IN_B), row("A4")])
    assert import_110(later, actor=personas.station).counts() == {
        "read": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }


def test_numbers_of_other_channels_are_not_110_incidents(personas, categories, report, tmp_path):
    report(external_id="A1", channel=Channel.API)
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1")])
    assert import_110(path, actor=personas.station).inserted == 1


# ---------------------------------------------------------------------------------------------
# the command


def test_command_exit_0_with_rejected_rows_errors_and_report(personas, categories, tmp_path):
    # given
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1"), row("A2", category="飞碟")])
    errors, report = tmp_path / "rejected.csv", tmp_path / "report.json"

    # when
    out, _err = run(str(path), "--errors", str(errors), "--report", str(report), "--actor", "station")

    # then
    assert "2 read, 1 inserted, 0 updated, 0 unchanged, 1 rejected" in out
    assert str(errors) in out
    assert json.loads(report.read_text()) == {
        "read": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert read_csv(errors)[1][-3:] == ["3", "警情类别", "Unknown category: 飞碟."]
    assert Event.objects.unscoped(reason="test").get().external_id == "A1"

    # when: once more
    out, _err = run(str(path), "--report", str(report), "--actor", "station", "--datum", "wgs84")

    # then: nothing changed, and it says so
    assert "nothing changed" in out
    assert json.loads(report.read_text())["unchanged"] == 1


def test_command_default_error_file_keeps_the_gbk_encoding(personas, categories, settings, tmp_path):
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1", category="飞碟")], encoding="gbk")
    out, err = run(str(path), "--actor", "station", progress=True)
    assert "110: " in err and "1 rows" in err  # the progress bar
    error_file = next((Path(settings.DATA_DIR) / "imports").glob("110-*-errors.csv"))
    assert str(error_file) in out
    assert read_csv(error_file, encoding="gb18030")[1][-2:] == ["警情类别", "Unknown category: 飞碟."]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot be read"),
        (b"", "is empty"),
        (b"\xd0\xcf\x11\xe0old", "old Excel .xls"),
        ("接警单编号,报警时间,警情内容\nA1,2026-03-05 10:00,x\n".encode(), r"lacks the column\(s\) 警情类别"),
        ("接警单编号,报警时间,警情类别,警情内容\nA1,2026-03-05 10:00,0102,x\n".encode(), "案发地址"),
    ],
)
def test_command_fails_when_the_file_cannot_be_read(personas, categories, tmp_path, content, message):
    path = tmp_path / "110.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(str(path), "--actor", "station")
    assert not Event.objects.unscoped(reason="test").exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_command_refuses_a_resident(personas, categories, tmp_path):
    path = write_csv(tmp_path / "110.csv", HEADER, [row("A1")])
    with pytest.raises(CommandError, match="Only staff"):
        run(str(path), "--actor", "resident")


# ---------------------------------------------------------------------------------------------
# times and categories


NOW = timezone.make_aware(dt.datetime(2026, 6, 1, 12, 0))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-05 14:23:11", local(2026, 3, 5, 14, 23, 11)),
        ("2026-03-05T14:23:11", local(2026, 3, 5, 14, 23, 11)),
        ("2026/3/5 14:23", local(2026, 3, 5, 14, 23)),
        ("2026.03.05 4:05:06", local(2026, 3, 5, 4, 5, 6)),
        ("2026年3月5日 14时23分11秒", local(2026, 3, 5, 14, 23, 11)),
        ("2026年3月5日14:23", local(2026, 3, 5, 14, 23)),
        ("２０２６－０３－０５　１４：２３", local(2026, 3, 5, 14, 23)),
        ("20260305142311", local(2026, 3, 5, 14, 23, 11)),
        ("202603051423", local(2026, 3, 5, 14, 23)),
        ("2026-03-05", local(2026, 3, 5, 0, 0)),
        ("2026-03-05 14:23:11.250000", local(2026, 3, 5, 14, 23, 11, 250000)),
        ("2026-03-05T06:23:11Z", local(2026, 3, 5, 14, 23, 11)),
        ("2026-03-05 14:23:11+08:00", local(2026, 3, 5, 14, 23, 11)),
    ],
)
def test_times_as_110_systems_write_them(text, expected):
    assert parse_time(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["昨天下午", "2026-13-01 10:00", "2026-03-05 25:00", "05/03/2026 10:00"])
def test_bad_times(text):
    with pytest.raises(RowRejected) as caught:
        parse_time(text, now=NOW)
    assert caught.value.field == "reported_at"


@pytest.mark.parametrize(
    "given, code",
    [
        ("0104", "0104"),
        ("104", "0104"),
        ("刑事警情", "0101"),
        ("Traffic incident", "0103"),
        ("telecom and online fraud", "0104"),
        ("刑事警情/盗窃", "0101"),
        ("治安类-打架斗殴", "0102"),
        ("0103 交通警情", "0103"),
        ("群众求助", "0502"),
        ("其他", "01"),
        ("社情", "04"),
    ],
)
def test_categories_by_code_name_and_110_words(categories, given, code):
    from fengqiao.events.importing import CategoryBook

    assert CategoryBook().find(given).code == code


def test_past_incidents_keep_their_time_but_their_limits_run_from_the_import(personas, categories, tmp_path):
    from fengqiao.core.casework import sweep
    from fengqiao.core.notifications.models import Notification

    path = write_csv(tmp_path / "110.csv", HEADER, [row("P1", "2026-03-05 14:23:11")])
    before = timezone.now()
    import_110(path, actor=personas.station)
    event = Event.objects.unscoped(reason="test").get(external_id="P1")
    assert event.opened_at == local(2026, 3, 5, 14, 23, 11)
    assert event.step_started_at >= before and event.due_at > before
    assert sweep().escalated == 0  # not overdue the moment it is taken in
    assert not Notification.objects.exists()  # a bulk intake messages nobody per event
