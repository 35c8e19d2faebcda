import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from fengqiao.core.commands import ActingCommand
from fengqiao.events.actions import CATEGORIES_FILE, load_categories


class Command(ActingCommand):
    help = "Load the event category tree (codes, time limits, responsibility) from a JSON file."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "file", nargs="?", default=str(CATEGORIES_FILE), help="JSON list; default: the bundled tree"
        )

    def act(self, actor, file, **options):
        try:
            rows = json.loads(Path(file).read_text(encoding="utf-8"))
            counts = load_categories(rows, actor=actor)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"categories: {counts['created']} created, {counts['updated']} updated")
