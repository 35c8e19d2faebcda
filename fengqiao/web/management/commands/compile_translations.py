"""Compile the project's .po catalogues to .mo with polib, so no machine needs GNU gettext.

``fengqiao compile_translations`` writes every ``django.mo`` next to its ``django.po`` under
``settings.LOCALE_PATHS`` and in the project's apps' own ``locale`` folders (Django reads both);
``--check`` writes nothing and fails if a ``.mo`` is missing or says
something else than its ``.po``.
"""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues() -> list[Path]:
    """Every django.po under the project's locale directories and its apps' ``locale`` folders."""
    bases = [Path(base) for base in settings.LOCALE_PATHS] + [
        Path(app.path) / "locale" for app in apps.get_app_configs() if app.name.startswith("fengqiao.")
    ]
    return sorted({po for base in bases for po in base.glob("*/LC_MESSAGES/django.po")})


def messages(catalogue) -> dict:
    """What a catalogue says: (context, msgid, plural msgid) → translation(s), translated entries only.
    The same for a .po and for the .mo compiled from it; fuzzy and untranslated entries are left out,
    as gettext leaves them out."""
    said = {}
    for entry in catalogue.translated_entries():
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural or None)
        said[key] = tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
    said[("", "", None)] = catalogue.metadata.get("Plural-Forms", "")
    return said


def is_current(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return False
    return messages(polib.pofile(str(po_path))) == messages(polib.mofile(str(mo_path)))


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo (with polib; no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; fail if a .mo is missing or out of date."
        )

    def handle(self, *args, check=False, **options):
        found = catalogues()
        if not found:
            raise CommandError(f"no django.po under {', '.join(str(p) for p in settings.LOCALE_PATHS)}")
        stale = []
        for po_path in found:
            if check:
                if not is_current(po_path):
                    stale.append(po_path)
                continue
            po = polib.pofile(str(po_path))
            po.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                f"compiled {po_path.with_suffix('.mo')} ({len(po.translated_entries())} messages)"
            )
        if stale:
            raise CommandError(
                "out of date, run `fengqiao compile_translations`: "
                + ", ".join(str(p.with_suffix(".mo")) for p in stale)
            )
        if check:
            self.stdout.write(f"{len(found)} catalogue(s) up to date")
