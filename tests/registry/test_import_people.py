"""Importing people: every rejection reason, the error file and its round trip, the encodings and
XLSX, idempotence, updates with history, scope, and the one audit entry."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import translation

from fengqiao.core import crypto
from fengqiao.core.importing.errors import read_error_file
from fengqiao.core.models import AuditEntry
from fengqiao.geo import locator
from fengqiao.registry import history
from fengqiao.registry.choices import HistoryAction, ImportStatus
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import ImportBatch, Person, RecordHistory
from tests.fixtures.registry import make_address, make_person, valid_id_number
from tests.registry.files import read_csv, read_xlsx, write_csv, write_xlsx

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "联系电话", "现住址"]


def people():
    return Person.objects.unscoped(reason="test")


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


@pytest.fixture
def away(personas):
    return make_address(personas.territory.grid_b, street="滨河路", door_plate="3")


def error_rows(batch) -> dict[int, list[str]]:
    """The error file's rows by their line: {line: [column, reason]}."""
    rows = read_csv(batch.errors_file)
    header = rows[0]
    assert header[-3:] == ["错误行号", "错误列", "错误原因"]
    return {int(r[-3]): r[-2:] for r in rows[1:]}


def test_good_rows_go_in_and_every_bad_row_is_reported_with_line_column_and_reason(personas, home, tmp_path):
    # given a file with one good row and one bad row of each kind
    good = valid_id_number(sex="M")
    female = valid_id_number(sex="F")
    rows = [
        [good, "张三", "男", "", "139 1234 5678", home.full_text],  # line 2: good
        ["11010519491231002Y", "李四", "女", "", "", home.full_text],  # 3: not a check character
        ["110105194912310021", "李四", "女", "", "", home.full_text],  # 4: wrong check character
        ["6.40302E+17", "王五", "男", "", "", home.full_text],  # 5: mangled by Excel
        [
            "１１０１０５１９４９１２３１００２Ｘ",
            "赵六",
            "女",
            "",
            "",
            home.full_text,
        ],  # 6: full-width digits
        ["110105194902300011", "钱七", "男", "", "", home.full_text],  # 7: 30 February in the number
        [valid_id_number(sex="M"), "孙八", "男", "1990-02-30", "", home.full_text],  # 8: impossible date
        [female, "周九", "男", "", "", home.full_text],  # 9: sex contradicts the number
        [valid_id_number(), "吴十", "", "", "", "宁夏某县不存在路1号"],  # 10: unknown address
        [good, "张三", "男", "", "", home.full_text],  # 11: the same person as line 2
        [valid_id_number(), "", "", "", "", home.full_text],  # 12: no name
    ]
    path = write_csv(tmp_path / "people.csv", HEADER, rows)

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then the good row is in, the bad ones are counted and reported
    assert batch.status == ImportStatus.DONE
    assert batch.counts() == {"read": 11, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 10}
    person = people().get()
    assert (person.id_number, person.name, person.phone, person.current_address) == (
        good,
        "张三",
        "13912345678",
        home,
    )
    errors = error_rows(batch)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert errors[3][0] == "公民身份号码"
    assert errors[4] == ["公民身份号码", "check character should be X, not 1"]
    assert errors[5][0] == "公民身份号码" and "6.40302E+17" in errors[5][1] and "text" in errors[5][1]
    assert errors[6] == ["公民身份号码", "full-width digits: retype with half-width digits"]
    assert errors[7][0] == "公民身份号码" and "not a real date" in errors[7][1]
    assert errors[8][0] == "出生日期" and "1990-02-30" in errors[8][1]
    assert errors[9][0] == "性别" and "female" in errors[9][1]
    assert errors[10][0] == "现住址" and "unknown address" in errors[10][1]
    assert errors[11] == ["公民身份号码", "the same 公民身份号码 is on line 2 already"]
    assert errors[12] == ["姓名", "The name is required."]


def test_the_error_file_keeps_the_rows_as_they_were_and_imports_again_once_fixed(personas, home, tmp_path):
    # given an import that rejected two rows
    good = valid_id_number(sex="M")
    fixable = valid_id_number(sex="F")
    path = write_csv(
        tmp_path / "people.csv",
        HEADER,
        [
            [good, "张三", "男", "", "", home.full_text],
            [
                fixable[:-1] + ("0" if fixable[-1] != "0" else "1"),
                "李娜",
                "女",
                "1990/1/1",
                "",
                home.full_text,
            ],
            [valid_id_number(sex="F"), "王芳", "男", "", "", home.full_text],
        ],
    )
    first = run_import("people", path, actor=personas.grid_a)
    assert first.rejected == 2
    rows = read_csv(first.errors_file)
    assert (
        rows[1][:6]
        == [
            [
                fixable[:-1] + ("0" if fixable[-1] != "0" else "1"),
                "李娜",
                "女",
                "1990/1/1",
                "",
                home.full_text,
            ]
        ][0]
    )

    # when the clerk fixes the two rows in the error file (the reason columns stay) and imports it
    rows[1][0] = fixable
    rows[1][3] = ""
    rows[2][2] = "女"
    fixed = write_csv(tmp_path / "fixed.csv", rows[0], rows[1:])
    second = run_import("people", fixed, actor=personas.grid_a)

    # then both go in and nothing else changes
    assert second.counts() == {"read": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert people().count() == 3
    assert not second.errors_file


def test_gbk_csv_is_detected_named_and_its_error_file_is_gbk_too(personas, home, tmp_path):
    # given a file saved by Excel on a Chinese Windows: GBK
    path = write_csv(
        tmp_path / "gbk.csv",
        HEADER,
        [
            [valid_id_number(sex="M"), "张三", "男", "", "", home.full_text],
            [valid_id_number(sex="F"), "李四", "男", "", "", home.full_text],
        ],
        encoding="gbk",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then
    assert batch.encoding == "gb18030"
    assert "GB18030" in batch.message
    assert people().get().name == "张三"
    rows = read_csv(batch.errors_file, encoding="gbk")
    assert rows[1][1] == "李四" and rows[1][-2] == "性别"


def test_utf8_with_bom_is_read_and_its_error_file_keeps_the_bom(personas, home, tmp_path):
    path = write_csv(
        tmp_path / "bom.csv",
        HEADER,
        [
            [valid_id_number(sex="M"), "张三", "男", "", "", home.full_text],
            ["123", "李四", "女", "", "", home.full_text],
        ],
        encoding="utf-8-sig",
    )
    batch = run_import("people", path, actor=personas.grid_a)
    assert batch.encoding == "utf-8-sig"
    assert batch.inserted == 1 and batch.rejected == 1
    assert read_error_file(batch.errors_file)[:3] == b"\xef\xbb\xbf"
    assert read_csv(batch.errors_file, encoding="utf-8-sig")[0][0] == "公民身份号码"


def test_xlsx_with_an_id_typed_as_a_number_and_dates_as_dates(personas, home, tmp_path):
    # given a workbook where one ID number was typed as a number (Excel keeps 15 digits)
    good = valid_id_number(sex="F", birth=dt.date(1985, 6, 1))
    typed = next(n for n in (valid_id_number(sex="M") for _ in range(20)) if n[-1] != "X")  # no X
    path = write_xlsx(
        tmp_path / "people.xlsx",
        ["身份证号", "姓名", "性别", "出生日期", "手机号码", "现住址"],
        [
            [good, "李娜", "女", dt.date(1985, 6, 1), 13912345678, home.full_text],
            [int(typed), "王五", "男", None, None, home.full_text],
        ],
    )

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then the good row is in with its phone, the mangled one comes back in an XLSX error file
    assert (batch.file_format, batch.inserted, batch.rejected) == ("xlsx", 1, 1)
    person = people().get()
    assert (person.id_number, person.birth_date, person.phone) == (good, dt.date(1985, 6, 1), "13912345678")
    assert batch.errors_file.endswith(".xlsx")
    rows = read_xlsx(batch.errors_file)
    assert rows[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert rows[1][-2] == "身份证号"
    assert "E+17" in rows[1][-1] and "text" in rows[1][-1]


def test_importing_the_same_file_twice_changes_nothing_and_says_so(personas, home, tmp_path):
    # given
    rows = [[valid_id_number(sex="M"), f"张{i}", "男", "", "", home.full_text] for i in range(5)]
    path = write_csv(tmp_path / "people.csv", HEADER, rows)
    first = run_import("people", path, actor=personas.grid_a)
    history = RecordHistory.objects.count()

    # when
    second = run_import("people", path, actor=personas.grid_a)

    # then
    assert first.counts() == {"read": 5, "inserted": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert second.counts() == {"read": 5, "inserted": 0, "updated": 0, "unchanged": 5, "rejected": 0}
    assert "nothing changed" in second.message and f"batch {first.pk}" in second.message
    assert people().count() == 5
    assert RecordHistory.objects.count() == history


def test_people_on_file_among_new_rows_are_updated_once_and_nothing_of_the_refused_part_is_lost(
    personas, home, tmp_path
):
    # given two people on file, and a file that brings them (one changed, one as stored) among
    # new people, over several chunks: the first chunk is written as if every row were new,
    # which the ID number's unique index refuses
    changed = make_person(home, name="张三", phone="13900000000")
    same = make_person(home, name="李四")
    new = [valid_id_number(sex="M") for _ in range(5)]
    rows = [[number, f"王{i}", "男", "", "", home.full_text] for i, number in enumerate(new)]
    rows.insert(1, [changed.id_number, "张三", "", "", "13911112222", home.full_text])
    rows.insert(4, [same.id_number, "李四", "", "", "", home.full_text])
    path = write_csv(tmp_path / "people.csv", HEADER, rows)

    # when
    batch = run_import("people", path, actor=personas.grid_a, chunk_size=3)

    # then
    assert batch.counts() == {"read": 7, "inserted": 5, "updated": 1, "unchanged": 1, "rejected": 0}
    assert people().count() == 7
    changed.refresh_from_db()
    assert changed.phone == "13911112222"
    actions = dict(
        RecordHistory.objects.filter(record_kind="person").values_list("record_id", "action").order_by()
    )
    by_number = dict(people().values_list("id_number", "pk"))
    assert actions == {changed.pk: "update", **{by_number[number]: "create" for number in new}}


def test_a_changed_row_updates_the_person_with_a_history_version(personas, home, tmp_path):
    # given a person on file
    person = make_person(home, name="张三", phone="13900000000")

    # when a file brings a new phone (and leaves other cells empty)
    path = write_csv(
        tmp_path / "people.csv", HEADER, [[person.id_number, "张三", "", "", "13911112222", home.full_text]]
    )
    batch = run_import("people", path, actor=personas.grid_a)

    # then only the phone changed, and the history says so
    assert batch.counts()["updated"] == 1
    person.refresh_from_db()
    assert person.phone == "13911112222" and person.name == "张三"
    row = RecordHistory.objects.get(record_kind="person", record_id=person.pk)
    assert (row.version, row.action, row.batch_id) == (1, "update", batch.pk)
    assert row.before == {"phone": "13900000000"} and row.after == {"phone": "13911112222"}


def test_inserted_people_get_placement_pinyin_and_a_creation_history(personas, home, tmp_path):
    number = valid_id_number(sex="M")
    path = write_csv(tmp_path / "p.csv", HEADER, [[number, "单田芳", "", "", "", home.full_text]])
    batch = run_import("people", path, actor=personas.grid_a)
    person = people().get()
    assert (person.grid, person.scope_path) == (home.grid, home.grid.scope_path)
    assert (person.name_pinyin, person.name_initials) == ("shantianfang", "stf")
    assert person.sex == "M" and person.collected_by == personas.grid_a
    row = RecordHistory.objects.get(record_id=person.pk, record_kind="person")
    assert (row.version, row.action, row.actor, row.batch, row.source) == (
        1,
        "create",
        personas.grid_a,
        batch,
        "import",
    )
    # the fields that have a value, dates as ISO text (as record_change keeps them)
    assert row.after == {
        "id_number": number,
        "name": "单田芳",
        "sex": "M",
        "birth_date": person.birth_date.isoformat(),
        "resident_type": "registered",
        "collected_at": person.collected_at.isoformat(),
        "collected_by_id": personas.grid_a.pk,
        "grid_id": home.grid_id,
        "current_address_id": home.pk,
    }
    assert row.before == {}


def test_an_imported_creation_history_is_the_one_record_change_writes(personas, home, tmp_path):
    # given rows of every path: the quick one, the general one, placed by address and by grid,
    # with text that JSON escapes
    header = [
        *HEADER,
        "民族",
        "户籍地址",
        "人员类型",
        "来此事由",
        "居住证有效期至",
        "采集日期",
        "网格编码",
        "服务处所",
        "居住证号",
    ]
    grid = personas.territory.grid_a.code
    rows = [
        [valid_id_number(sex="M"), "张三", "男", "", "13912345678", home.full_text, "汉族", "宁夏银川"]
        + ["流动", "务工", "", "2024-03-01", "", '某"公司"\\分部', ""],
        [valid_id_number(sex="F"), "李四", "", "", "", "", "回族", "", "流动", "探亲", "2030-12-31"]
        + ["", grid, "", "NX2024001"],
        [valid_id_number(sex="F"), "王五", "", "", "", "", "", "", "", "", "", ""]
        + [grid, "Tab\tin 中\u2028文", ""],
    ]
    batch = run_import("people", write_csv(tmp_path / "p.csv", header, rows), actor=personas.grid_a)
    assert batch.inserted == 3, error_rows(batch)
    # when the same people are recorded as created through the per-record path
    for person in people():
        history.record_change(person, action=HistoryAction.CREATE, before=None, actor=personas.grid_a)
    # then each import row stores the same after (as the database gives it back: byte for byte
    # on PostgreSQL, whose jsonb has one form per value)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT record_id, version, CAST(after AS text) FROM registry_recordhistory "
            "WHERE record_kind = %s",
            ["person"],
        )
        stored = {(pk, version): after for pk, version, after in cursor.fetchall()}
    assert len(stored) == 6

    def opened(text: str) -> dict:
        # ID numbers and phones are encrypted (a fresh nonce each time): compared as they decrypt
        values = json.loads(text)
        return {k: crypto.decrypt(v, f"registry.recordhistory.after.{k}") for k, v in values.items()}

    for person in people():
        imported, recorded = stored[(person.pk, 1)], stored[(person.pk, 2)]
        assert crypto.is_sealed(json.loads(imported)["id_number"])
        assert opened(imported) == opened(recorded)


def test_rows_landing_outside_the_importers_scope_are_rejected(personas, home, away, tmp_path):
    # given grid A's worker imports a row whose address is in grid B
    path = write_csv(
        tmp_path / "people.csv",
        HEADER,
        [
            [valid_id_number(sex="M"), "张三", "男", "", "", home.full_text],
            [valid_id_number(sex="M"), "李四", "男", "", "", away.full_text],
        ],
    )

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then
    assert (batch.inserted, batch.rejected) == (1, 1)
    assert error_rows(batch)[3] == ["现住址", "the record would lie outside your scope"]
    assert list(people().values_list("name", flat=True)) == ["张三"]


def test_a_person_on_file_outside_the_scope_is_not_changed(personas, home, away, tmp_path):
    elsewhere = make_person(away, name="李四")
    path = write_csv(
        tmp_path / "people.csv", HEADER, [[elsewhere.id_number, "李四", "", "", "", home.full_text]]
    )
    batch = run_import("people", path, actor=personas.grid_a)
    assert batch.rejected == 1
    assert "outside your scope" in error_rows(batch)[2][1]
    elsewhere.refresh_from_db()
    assert elsewhere.current_address == away


def test_the_import_is_one_audit_entry_with_the_files_hash(personas, home, tmp_path):
    import hashlib

    path = write_csv(
        tmp_path / "people.csv",
        HEADER,
        [[valid_id_number(), f"张{i}", "", "", "", home.full_text] for i in range(3)],
    )
    before = AuditEntry.objects.count()
    batch = run_import("people", path, actor=personas.grid_a)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_id) == ("import", personas.grid_a, str(batch.pk))
    assert entry.after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {k: entry.after[k] for k in batch.counts()} == batch.counts()


def test_floating_residents_follow_record_persons_rules(personas, home, tmp_path):
    header = [*HEADER, "人员类型", "来此事由"]
    path = write_csv(
        tmp_path / "p.csv",
        header,
        [
            [valid_id_number(county="610102"), "张三", "", "", "", home.full_text, "流动", "务工"],
            [valid_id_number(county="610102"), "李四", "", "", "", home.full_text, "流动", ""],
        ],
    )
    batch = run_import("people", path, actor=personas.grid_a)
    assert (batch.inserted, batch.rejected) == (1, 1)
    assert people().get().resident_type == "floating"
    assert error_rows(batch)[3][0] == "来此事由"


def test_a_person_without_an_address_is_placed_by_point_or_grid(personas, tmp_path):
    t = personas.territory
    header = ["公民身份号码", "姓名", "经度", "纬度", "网格编码"]
    path = write_csv(
        tmp_path / "p.csv",
        header,
        [
            [valid_id_number(), "张三", "106.105", "37.905", ""],
            [valid_id_number(), "李四", "", "", t.grid_a.code],
            [valid_id_number(), "王五", "100.0", "30.0", ""],
            [valid_id_number(), "赵六", "", "", ""],
        ],
    )
    batch = run_import("people", path, actor=personas.officer)
    assert (batch.inserted, batch.rejected) == (2, 2)
    assert set(people().values_list("grid", flat=True)) == {t.grid_a.pk}
    errors = error_rows(batch)
    assert errors[4][0] == "经度" and "no grid" in errors[4][1]
    assert errors[5][0] == "现住址"


def test_residents_may_not_import(personas, home, tmp_path):
    from django.core.exceptions import PermissionDenied

    path = write_csv(tmp_path / "p.csv", HEADER, [[valid_id_number(), "张三", "", "", "", home.full_text]])
    with pytest.raises(PermissionDenied):
        run_import("people", path, actor=personas.resident)
    assert not ImportBatch.objects.exists()


def test_excel_text_cells_and_tab_separated_files_are_read(personas, home, tmp_path):
    # given a tab-separated export whose ID numbers were kept as text the Excel way: ="…"
    number = valid_id_number(sex="M")
    path = tmp_path / "people.txt"
    path.write_text(f'公民身份号码\t姓名\t现住址\n="{number}"\t 张三 \t{home.full_text}\n', encoding="utf-8")

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then
    assert batch.inserted == 1
    assert people().get().id_number == number and people().get().name == "张三"


def test_a_date_written_another_way_is_unchanged_and_a_new_date_is_an_update(personas, home, tmp_path):
    # given people imported with their collection dates
    header = [*HEADER, "采集日期"]
    numbers = [valid_id_number(sex="M") for _ in range(2)]
    first = [[n, "张三", "男", "", "", home.full_text, "2024/3/1"] for n in numbers]
    run_import("people", write_csv(tmp_path / "a.csv", header, first), actor=personas.grid_a)

    # when a second file spells the first date another way and moves the second one
    second = [
        [numbers[0], "张三", "男", "", "", home.full_text, "2024-03-01"],
        [numbers[1], "张三", "男", "", "", home.full_text, "2024-03-02"],
    ]
    batch = run_import("people", write_csv(tmp_path / "b.csv", header, second), actor=personas.grid_a)

    # then only the second person changed
    assert (batch.counts()["unchanged"], batch.counts()["updated"]) == (1, 1)
    assert people().get(id_number=numbers[1]).collected_at == dt.date(2024, 3, 2)
    row = RecordHistory.objects.get(action="update")
    assert row.before == {"collected_at": "2024-03-01"} and row.after == {"collected_at": "2024-03-02"}


def test_an_overseas_person_without_an_id_number_is_keyed_by_their_document(personas, home, tmp_path):
    # given a file with a resident and an overseas person who has a passport but no ID number
    header = ["公民身份号码", "姓名", "性别", "人员类型", "国籍", "证件类型", "证件号码", "现住址"]
    number = valid_id_number(sex="M")
    rows = [
        [number, "张三", "男", "", "", "", "", home.full_text],
        ["", "John Smith", "男", "境外", "英国", "护照", "P1234567", home.full_text],
    ]
    path = write_csv(tmp_path / "people.csv", header, rows)

    # when
    batch = run_import("people", path, actor=personas.grid_a)

    # then both are in, each with a creation history
    assert batch.counts() == {"read": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    john = people().get(document_number="P1234567")
    assert (john.id_number, john.resident_type, john.nationality) == (None, "overseas", "英国")
    created = RecordHistory.objects.get(record_kind="person", record_id=john.pk, action="create")
    assert created.after["document_number"] == "P1234567" and "id_number" not in created.after
    zhang = people().get(id_number=number)
    assert RecordHistory.objects.get(record_kind="person", record_id=zhang.pk).after["id_number"] == number

    # and the same file again finds both by their keys
    again = run_import("people", path, actor=personas.grid_a)
    assert again.counts() == {"read": 2, "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0}


def test_a_row_wrong_in_several_columns_names_each_by_its_header_in_chinese(personas, home, tmp_path):
    # given a row with a bad phone and no name
    rows = [[valid_id_number(), "", "", "", "5678", home.full_text]]
    path = write_csv(tmp_path / "people.csv", HEADER, rows)
    # when a clerk imports it in Chinese
    with translation.override("zh-hans"):
        batch = run_import("people", path, actor=personas.grid_a)
    # then the reason names each column by the file's header, in Chinese, with no field names
    column, reason = error_rows(batch)[2]
    assert "phone" not in reason and "name" not in reason, reason
    assert reason.startswith("联系电话：") and "；姓名：" in reason, reason
    assert column == "联系电话"
