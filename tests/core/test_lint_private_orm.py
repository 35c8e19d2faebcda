"""The lint step that keeps Django's private ORM API out of the code (tools/check_private_orm.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "check_private_orm.py"


def run(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *map(str, paths)], capture_output=True, text=True)


def test_the_project_uses_no_private_orm_name():
    result = run()
    assert result.returncode == 0, result.stdout


def test_a_private_orm_name_fails_the_check():
    # given code that replays a compiled queryset, as core/prepared.py once did
    module = ROOT / "fengqiao" / "lint_probe_tmp.py"
    module.write_text(
        "def rows(qs):\n"
        "    compiler = qs.query.get_compiler(using=qs.db)\n"
        "    return qs._iterable_class, compiler.klass_info\n",
        encoding="utf-8",
    )
    try:
        result = run(module)
    finally:
        module.unlink()
    # then the check fails, naming each use with its line
    assert result.returncode == 1
    assert "lint_probe_tmp.py:2: private ORM name 'get_compiler'" in result.stdout
    assert "'_iterable_class'" in result.stdout and "'klass_info'" in result.stdout
