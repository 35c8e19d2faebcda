"""`fengqiao keys`: the data keys that encrypt personal data at rest (docs/adr/0010)."""

from fengqiao.core import crypto, keyrotation
from fengqiao.core.commands import ActingCommand


class Command(ActingCommand):
    help = (
        "Work with the data keys. `keys status` names the cipher, the keys held and the current one; "
        "`keys rotate` adds a new key and re-encrypts every encrypted value under it, in chunks, and "
        "resumes an unfinished rotation where it stopped."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("status", help="the cipher, the key ids held, the current key, a rotation under way")
        rotate = sub.add_parser("rotate", help="add a key and re-encrypt everything under it (resumable)")
        rotate.add_argument(
            "--keep-key",
            action="store_true",
            help="re-encrypt under the current key, adding none (as with keys from FENGQIAO_DATA_KEYS)",
        )
        rotate.add_argument("--chunk", type=int, default=keyrotation.CHUNK, help="rows per transaction")

    def act(self, actor, *args, subcommand, **options):
        if subcommand == "status":
            ring = crypto.keyring()
            self.stdout.write(
                f"cipher {crypto.cipher_name()}; index {ring.index_scheme}; keys {', '.join(ring.keys)} "
                f"(current {ring.current}) from {ring.source}"
            )
            if keyrotation.progress_file().exists():
                self.stdout.write("a rotation is under way: run `fengqiao keys rotate` to finish it")
            return
        rows = keyrotation.rotate(
            actor=actor, new_key=not options["keep_key"], chunk=max(1, options["chunk"])
        )
        total = sum(rows.values())
        detail = ", ".join(f"{label} {n}" for label, n in rows.items())
        self.stdout.write(f"re-encrypted {total} rows under key {crypto.keyring().current} ({detail})")
