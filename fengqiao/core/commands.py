"""A base for management commands that change things: they act as a named user, from the CLI."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fengqiao.core.context import Source, acting_as

SYSTEM_USERNAME = "system"


def system_user():
    """The account that scripted, unattended work is recorded under. It cannot log in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_superuser": True, "is_staff": False, "role": "city_command", "full_name": "system"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class ActingCommand(BaseCommand):
    """Runs ``act(actor, *args, **options)`` inside an acting context with ``source=cli``.

    ``--actor USERNAME`` (or FENGQIAO_ACTOR) names who answers for the change; without either the
    built-in ``system`` account does.
    """

    source = Source.CLI

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--actor",
            default=os.environ.get("FENGQIAO_ACTOR", ""),
            help="username the change is recorded under (default: FENGQIAO_ACTOR, else 'system')",
        )
        return parser

    def resolve_actor(self, username: str):
        if not username or username == SYSTEM_USERNAME:
            return system_user()
        User = get_user_model()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"--actor: no active user named {username!r}") from None

    def handle(self, *args, **options):
        actor = self.resolve_actor(options.pop("actor"))
        with acting_as(actor, self.source):
            return self.act(actor, *args, **options)

    def act(self, actor, *args, **options):
        raise NotImplementedError("subclasses of ActingCommand must provide act()")
