import pytest
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import Person, RecordHistory
from tests.registry.conftest import make_address, valid_id_number
from tests.registry.files import write_csv, read_csv

HEADER = ["公民身份号码", "姓名", "性别", "民族", "出生日期", "联系电话", "现住址"]

def test_smoke(personas, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    a = make_address(personas.territory.grid_a)
    rows = [[valid_id_number(sex="M"), "张三", "男", "汉族", "", "13912345678", a.full_text],
            ["11010519491231002Y", "李四", "女", "汉族", "", "", a.full_text],
            [valid_id_number(sex="F"), "王芳", "男", "汉族", "", "", a.full_text],
            ]
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    batch = run_import("people", path, actor=personas.officer)
    print(batch.message, batch.errors_file)
    print(read_csv(batch.errors_file))
    print(list(Person.objects.unscoped(reason="t").values_list("name", "grid_id", "name_pinyin")))
    print(list(RecordHistory.objects.values_list("record_id", "version", "after")))
    batch = run_import("people", path, actor=personas.officer)
    print(batch.message)
