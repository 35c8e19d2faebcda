"""Fail on any use of a private name of Django's ORM outside migrations and tests.

The project speaks to the database through Django's public API only (docs/adr/0003). Reaching
into the ORM's internals (compilers, iterables, converters, save internals) breaks silently on a
Django upgrade and lets a second way of querying grow beside the first. The list is short on
purpose: the names that were used here once, and their close relatives.

Usage: python tools/check_private_orm.py [PATH ...]   (default: fengqiao)
"""

import ast
import sys
from pathlib import Path

FORBIDDEN = {
    "_iterable_class",
    "klass_info",
    "annotation_col_map",
    "get_converters",
    "apply_converters",
    "_prepare_related_fields_for_save",
    "get_compiler",
    "execute_sql",
    "_result_cache",
    "_fetch_all",
    "_clone",
    "_chain",
    "_batched_insert",
    "_insert",
    "_do_insert",
    "_do_update",
    "_save_table",
    "_raw_delete",
    "_for_write",
    "_known_related_objects",
    "_prefetch_related_lookups",
    "_hints",
}

# The one sanctioned exception, explained in docs/adr/0003-public-orm-only.md: the scoped queryset
# must carry its "scope applied" flag through clones and check it before rows are fetched, and
# Django offers no public hook for either.
ALLOWED = {"fengqiao/core/scoping.py": {"_clone", "_fetch_all", "_result_cache"}}


def problems(path: Path, root: Path) -> list[str]:
    relative = path.relative_to(root).as_posix()
    allowed = ALLOWED.get(relative, set())
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = node.name
        else:
            continue
        if name in FORBIDDEN and name not in allowed:
            found.append(f"{relative}:{node.lineno}: private ORM name {name!r}")
    return found


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    targets = [Path(a).resolve() for a in argv] or [root / "fengqiao"]
    found = []
    for target in targets:
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            if "migrations" not in path.parts and "tests" not in path.parts:
                found.extend(problems(path, root))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} use(s) of Django's private ORM API: use the public API instead", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
