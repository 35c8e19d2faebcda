"""`fengqiao points check`: recompute every account's balance from its entries and report any
difference from the cached balance, and any transaction whose legs do not sum to zero."""

from django.core.management.base import BaseCommand, CommandError

from fengqiao.points import actions


class Command(BaseCommand):
    help = "Work with the points ledger. `points check` recomputes balances and reports differences."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("check", help="recompute balances from the entries; exit 1 on any difference")

    def handle(self, *args, subcommand, **options):
        wrong = actions.check_balances()
        unbalanced = actions.unbalanced_transactions()
        for account, computed in wrong:
            self.stdout.write(
                f"account {account.pk} ({account}): cached {account.balance}, entries {computed}"
            )
        for txn_id in unbalanced:
            self.stdout.write(f"transaction {txn_id}: legs do not sum to zero")
        if wrong or unbalanced:
            raise CommandError(f"{len(wrong)} account(s) differ, {len(unbalanced)} transaction(s) unbalanced")
        self.stdout.write("points ledger: every balance matches its entries")
