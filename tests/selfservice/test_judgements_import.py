"""The register of court judgements, imported read-only from the judicial data file with the
shared import framework: CSV in GBK and UTF-8 and XLSX, bad rows named in an error file, the same
file twice changes nothing, a judgement that became final is marked so, and only a bureau imports."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from fengqiao.core import crypto
from fengqiao.core.models import AuditEntry
from fengqiao.registry.validators import make_id_number
from fengqiao.selfservice.importing import import_records
from fengqiao.selfservice.models import CriminalRecord
from fengqiao.selfservice.selectors import final_records_of

pytestmark = pytest.mark.django_db

ID_1 = make_id_number("640302", dt.date(1980, 2, 3), "M", 1)
ID_2 = make_id_number("640302", dt.date(1982, 4, 5), "F", 2)
HEADER = ["案号", "姓名", "公民身份号码", "审判法院", "罪名", "判决日期", "是否生效"]
ROWS = [
    ["（2023）宁0302刑初1号", "张一", ID_1, "利通区人民法院", "盗窃罪", "2023-05-06", "是"],
    ["（2024）宁0302刑初2号", "李二", ID_2, "利通区人民法院", "诈骗罪", "2024-07-08", "否"],
    ["（2024）宁0302刑初3号", "王三", "640302198001011234", "利通区人民法院", "盗窃罪", "2024-01-01", "是"],
    ["（2024）宁0302刑初4号", "赵四", ID_1, "利通区人民法院", "盗窃罪", "2024/13/01", "是"],
]


def records():
    return CriminalRecord.objects.unscoped(reason="test: what the import wrote")


def csv_file(tmp_path, rows, encoding="gbk"):
    path = tmp_path / "judgements.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding=encoding)
    return path


def test_a_gbk_csv_is_imported_and_bad_rows_are_named(tmp_path, personas):
    result = import_records(
        csv_file(tmp_path, ROWS), actor=personas.city, errors_path=tmp_path / "errors.csv"
    )
    assert result.counts() == {"read": 4, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert result.encoding.lower().startswith("gb")
    errors = (tmp_path / "errors.csv").read_text(encoding="gbk")
    assert "公民身份号码" in errors and "判决日期" in errors
    # encrypted at rest, found by hash; only the final one counts
    assert final_records_of(crypto.index(ID_1, "id_number")).count() == 1
    assert not final_records_of(crypto.index(ID_2, "id_number")).exists()
    assert {r.scope_path for r in records()} == {"640300"}


def test_the_same_file_twice_changes_nothing_and_a_judgement_that_became_final_is_marked(tmp_path, personas):
    import_records(csv_file(tmp_path, ROWS[:2], "utf-8"), actor=personas.city)
    again = import_records(csv_file(tmp_path, ROWS[:2], "utf-8"), actor=personas.city)
    assert again.counts()["inserted"] == 0 and again.counts()["unchanged"] == 2
    final_now = [ROWS[1][:6] + ["已生效"]]
    result = import_records(csv_file(tmp_path, final_now, "utf-8"), actor=personas.city)
    assert result.counts()["updated"] == 1
    assert final_records_of(crypto.index(ID_2, "id_number")).exists()


def test_an_xlsx_file_is_read(tmp_path, personas):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    path = tmp_path / "judgements.xlsx"
    book.save(path)
    assert import_records(path, actor=personas.city).counts()["inserted"] == 1


def test_only_a_bureau_imports(tmp_path, personas):
    with pytest.raises(PermissionDenied):
        import_records(csv_file(tmp_path, ROWS[:1]), actor=personas.station)
    assert not records().exists()


def test_the_command_imports_as_the_actor_it_names(tmp_path, personas):
    # when a bureau's user runs the command line on a file
    out = io.StringIO()
    call_command(
        "import_judgements", str(csv_file(tmp_path, ROWS[:2])), "--actor", personas.city.username, stdout=out
    )
    # then the judgements are in the register, imported in that user's name
    assert records().count() == 2
    assert AuditEntry.objects.filter(actor=personas.city).exists()
    # and a grid worker's name is refused with a message, nothing written
    with pytest.raises(CommandError):
        call_command(
            "import_judgements", str(csv_file(tmp_path, ROWS[2:3])), "--actor", personas.grid_a.username
        )
    assert records().count() == 2
