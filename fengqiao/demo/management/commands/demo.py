import argparse
import sys

from django.core.management.base import CommandError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from fengqiao.analytics import rollups
from fengqiao.core.commands import ActingCommand
from fengqiao.demo import actions, selectors
from fengqiao.demo import disputes as demo_disputes
from fengqiao.demo.actions import (
    DEFAULT_DATA_DIR,
    DEFAULT_EVENTS_SCALE,
    DEFAULT_REGISTRY_SCALE,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DemoError,
)
from fengqiao.demo.modules import MODULES
from fengqiao.geo.actions import ImportFileError

COUNT_LABELS = {
    "counties": gettext_lazy("county bureaus"),
    "stations": gettext_lazy("police stations"),
    "districts": gettext_lazy("police districts"),
    "villages": gettext_lazy("villages and communities with grids"),
    "grids": gettext_lazy("grids"),
    "staff": gettext_lazy("staff posted"),
    "accounts": gettext_lazy("accounts"),
}
REGISTRY_LABELS = {
    "person": gettext_lazy("people"),
    "house": gettext_lazy("houses"),
    "organisation": gettext_lazy("organisations"),
    "address": gettext_lazy("addresses"),
    "residence": gettext_lazy("person–house relations"),
    "employment": gettext_lazy("employments"),
    "care_tag": gettext_lazy("care tags"),
}
EVENT_LABELS = {
    "events": gettext_lazy("events"),
    "open": gettext_lazy("still open"),
    "timeline": gettext_lazy("timeline entries"),
}


def scale_value(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(_("must be a number, got %(raw)r") % {"raw": raw}) from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(_("must be more than 0 and at most 1, got %(raw)s") % {"raw": raw})
    return value


def registry_scale_value(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(_("must be a number, got %(raw)r") % {"raw": raw}) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(_("must be between 0 and 1, got %(raw)s") % {"raw": raw})
    return value


class Command(ActingCommand):
    help = (
        "Generate the demo city from the real divisions of Wuzhong: police stations, police districts, "
        "grids and staff in the proportions of the real city (scale 1.0: 44 stations, 118 districts, "
        "3,475 grids), deterministic for a seed, and the demo accounts; then the registry (people, "
        "houses, organisations, addresses and their relations) at --registry-scale of the article's "
        "city, and two years of events at --events-scale of a realistic rate. If the city, the registry "
        "or the events exist they are reused; --reset builds them all again. Prints the demo accounts "
        "at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=scale_value,
            default=DEFAULT_SCALE,
            help=f"share of the real city's size, 0 < S ≤ 1 (default {DEFAULT_SCALE})",
        )
        parser.add_argument(
            "--registry-scale",
            type=registry_scale_value,
            default=None,
            help=(
                "share of the article's registry, 0 ≤ S ≤ 1: 1.0 = 733,000 people, 162,000 houses, "
                "6,000 organisations; 0 leaves the registry empty (default: "
                f"{DEFAULT_REGISTRY_SCALE} × --scale, i.e. {DEFAULT_REGISTRY_SCALE} for the whole city)"
            ),
        )
        parser.add_argument(
            "--events-scale",
            type=registry_scale_value,
            default=None,
            help=(
                "share of a realistic rate of events, 0 ≤ S ≤ 1: 1.0 = 100 events a grid a year over two "
                "years; 0 makes none (default: "
                f"{DEFAULT_EVENTS_SCALE} × --scale, i.e. {DEFAULT_EVENTS_SCALE} for the whole city)"
            ),
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "remove the existing registry, police tree, grids and postings and generate the city "
                "and its registry again"
            ),
        )
        parser.add_argument(
            "--accounts-only", action="store_true", help="only print the demo accounts; change nothing"
        )
        parser.add_argument(
            "--data",
            default=str(DEFAULT_DATA_DIR),
            help="directory with divisions_2016.csv and boundaries/*.json (default: %(default)s)",
        )

    def act(
        self, actor, *args, scale, registry_scale, events_scale, seed, reset, accounts_only, data, **options
    ):
        if not accounts_only:
            if reset:  # the later modules and the ledger refer to the city, its people and events
                for module in reversed(MODULES):
                    module.clear()
                demo_disputes.clear_demo_disputes()
            city_scale = self.build(actor, scale=scale, seed=seed, reset=reset, data=data)
            if registry_scale is None:
                registry_scale = round(DEFAULT_REGISTRY_SCALE * city_scale, 6)
            if registry_scale:
                self.build_registry(actor, scale=registry_scale, seed=seed, reset=reset)
            if events_scale is None:
                events_scale = round(DEFAULT_EVENTS_SCALE * city_scale, 6)
            if events_scale:
                self.build_events(actor, scale=events_scale, seed=seed, reset=reset)
            if registry_scale:  # disputes at the registry's scale: ~12,000 a year at 1.0
                self.build_disputes(actor, scale=registry_scale, seed=seed)
                self.build_modules(actor, scale=registry_scale, seed=seed)
            # The bulk loads wrote without save(): the dashboard's daily counts, counted again.
            rollups.rebuild()
        self.print_accounts()

    def build_disputes(self, actor, *, scale, seed):
        report = demo_disputes.generate_demo_disputes(actor=actor, scale=scale, seed=seed)
        if not report.created:
            self.stdout.write(_("There are disputes already: reusing them."))
            return
        counts = report.counts
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo disputes generated: %(disputes)s, %(resolved)s of them resolved.")
                % {"disputes": counts.get("dispute", 0), "resolved": counts.get("resolved", 0)}
            )
        )

    def build_modules(self, actor, *, scale, seed):
        for module in MODULES:
            counts = module.generate(actor=actor, scale=scale, seed=seed)
            if counts is None:
                reused = _("%(module)s: there is data already, reusing it.")
                self.stdout.write(reused % {"module": module.label})
                continue
            made = ", ".join(f"{count} {label}" for label, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"{module.label}: {made}"))

    def build_events(self, actor, *, scale, seed, reset):
        if actions.events_exist() and not reset:
            self.stdout.write(
                _("There are events already: reusing them. Use --reset to generate them again.")
            )
            return
        bar = tqdm(total=0, unit=" months", desc=_("events"), file=sys.stderr, disable=None, leave=False)

        def progress(done, total):
            if bar.total != total:
                bar.reset(total=total)
            bar.n = done
            bar.refresh()

        try:
            report = actions.generate_demo_events(
                actor=actor, scale=scale, seed=seed, reset=reset, progress=progress
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        except ProtectedError as exc:
            blockers = sorted({obj._meta.label for obj in exc.protected_objects})
            raise CommandError(
                _("cannot reset: rows of %(models)s refer to the events; they stay as they are")
                % {"models": ", ".join(blockers)}
            ) from None
        finally:
            bar.close()
        if not report.created:
            self.stdout.write(
                _("There are events already: reusing them. Use --reset to generate them again.")
            )
            return
        counts = ", ".join(f"{report.counts.get(key, 0)} {label}" for key, label in EVENT_LABELS.items())
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo events generated (scale %(scale)s, seed %(seed)s) in %(seconds).1f s: %(counts)s.")
                % {"scale": report.scale, "seed": report.seed, "seconds": report.seconds, "counts": counts}
            )
        )

    def build_registry(self, actor, *, scale, seed, reset):
        if actions.registry_exists() and not reset:
            self.say_registry_reused()
            return
        bar = tqdm(total=0, unit=" grids", desc=_("registry"), file=sys.stderr, disable=None, leave=False)

        def progress(done, total):
            if bar.total != total:
                bar.reset(total=total)
            bar.n = done
            if done % 50 == 0 or done == total:
                bar.refresh()

        try:
            report = actions.generate_demo_registry(
                actor=actor, scale=scale, seed=seed, reset=reset, progress=progress
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        except ProtectedError as exc:
            blockers = sorted({obj._meta.label for obj in exc.protected_objects})
            raise CommandError(
                _("cannot reset: rows of %(models)s refer to the registry; it stays as it is")
                % {"models": ", ".join(blockers)}
            ) from None
        finally:
            bar.close()
        if not report.created:  # another process filled it in the meantime
            self.say_registry_reused()
            return
        counts = ", ".join(f"{report.counts.get(key, 0)} {label}" for key, label in REGISTRY_LABELS.items())
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo registry generated (scale %(scale)s, seed %(seed)s) in %(seconds).1f s: %(counts)s.")
                % {"scale": report.scale, "seed": report.seed, "seconds": report.seconds, "counts": counts}
            )
        )

    def say_registry_reused(self):
        last = selectors.last_registry_generation()
        if last:
            message = _(
                "The registry already holds records (generated with scale %(scale)s, seed %(seed)s): "
                "reusing it. Use --reset to generate it again."
            ) % {"scale": last.get("scale"), "seed": last.get("seed")}
        else:
            message = _("The registry already holds records: reusing it. Use --reset to generate it again.")
        self.stdout.write(message)

    def say_reused(self):
        last = selectors.last_generation()
        if last:
            message = _(
                "The territory already exists (generated with scale %(scale)s, seed %(seed)s): "
                "reusing it. Use --reset to generate it again."
            ) % {"scale": last.get("scale"), "seed": last.get("seed")}
        else:
            message = _("The territory already exists: reusing it. Use --reset to generate it again.")
        self.stdout.write(message)

    def build(self, actor, *, scale, seed, reset, data) -> float:
        """Generate the city unless it exists; returns the scale it was generated with."""
        if selectors.territory_exists() and not reset:
            self.say_reused()
            return (selectors.last_generation() or {}).get("scale", scale)
        try:
            if not selectors.divisions_loaded():
                for report in actions.load_wuzhong_divisions(actor=actor, data_dir=data):
                    self.stdout.write(report.summary())
            report = actions.generate_demo_city(actor=actor, scale=scale, seed=seed, reset=reset)
        except (DemoError, ImportFileError) as exc:
            raise CommandError(str(exc)) from None
        except ProtectedError as exc:
            blockers = sorted({obj._meta.label for obj in exc.protected_objects})
            raise CommandError(
                _("cannot reset: rows of %(models)s refer to the territory; the demo city stays as it is")
                % {"models": ", ".join(blockers)}
            ) from None
        if not report.created:  # another process made it in the meantime
            self.say_reused()
            return (selectors.last_generation() or {}).get("scale", scale)
        counts = ", ".join(f"{report.counts[key]} {label}" for key, label in COUNT_LABELS.items())
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo city generated (scale %(scale)s, seed %(seed)s) in %(seconds).1f s: %(counts)s.")
                % {"scale": report.scale, "seed": report.seed, "seconds": report.seconds, "counts": counts}
            )
        )
        return report.scale

    def print_accounts(self):
        rows = selectors.demo_accounts()
        if not rows:
            self.stdout.write(_("No demo accounts yet: run `fengqiao demo`."))
            return
        self.stdout.write(
            "\n" + _("Demo accounts (password: %(password)s):") % {"password": DEMO_PASSWORD} + "\n"
        )
        header = (_("username"), _("role"), _("name"), _("posting"))
        table = [header] + [(r.username, r.role, r.full_name, r.posting) for r in rows]
        widths = [max(_width(row[i]) for row in table) for i in range(len(header) - 1)]
        for i, row in enumerate(table):
            cells = [row[j] + " " * (widths[j] - _width(row[j])) for j in range(len(widths))]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
            if i == 0:
                self.stdout.write("  ".join(["-" * w for w in widths] + ["-" * 7]))


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
