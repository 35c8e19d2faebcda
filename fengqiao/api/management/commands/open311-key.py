"""``fengqiao open311-key create NAME | revoke NAME-OR-PREFIX | list``: the keys of Open311 clients."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from fengqiao.api.models import Open311Key
from fengqiao.api.open311 import keys as open311_keys
from fengqiao.core.commands import ActingCommand


class Command(ActingCommand):
    help = "Create, revoke and list the api_keys Open311 clients post service requests with."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        commands = parser.add_subparsers(dest="command", required=True, metavar="{create,revoke,list}")
        create = commands.add_parser("create", help="make a key; it is printed once and never again")
        create.add_argument("name", help="who the key is for, e.g. the app or partner system")
        revoke = commands.add_parser("revoke", help="revoke a key for good")
        revoke.add_argument("key", help="the key's name, or the start of its prefix (at least 6 characters)")
        commands.add_parser("list", help="the keys, their prefixes and whether they are live")

    def act(self, actor, command, **options):
        try:
            if command == "create":
                key, raw = open311_keys.create_key(options["name"], actor=actor)
                self.stderr.write(f"Open311 key {key.name!r} created. Keep it now: it is not shown again.")
                self.stdout.write(raw)
            elif command == "revoke":
                key = open311_keys.revoke_key(open311_keys.find_key(options["key"]), actor=actor)
                self.stdout.write(
                    f"revoked {key.name} ({key.prefix}…) at {key.revoked_at:%Y-%m-%d %H:%M:%S %z}"
                )
            else:
                self._list()
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages)) from exc

    def _list(self):
        keys = list(Open311Key.objects.all())
        if not keys:
            self.stdout.write("no Open311 keys")
            return
        for key in keys:
            state = "live" if key.is_live else f"revoked {key.revoked_at:%Y-%m-%d}"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix}…  {key.name}  created {key.created_at:%Y-%m-%d}  last used {used}  {state}"
            )
