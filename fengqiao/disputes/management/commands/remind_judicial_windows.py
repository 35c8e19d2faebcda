from fengqiao.core.commands import ActingCommand
from fengqiao.disputes.actions import remind_judicial_windows


class Command(ActingCommand):
    help = (
        "Remind the mediators of written agreements whose 30-day window for judicial confirmation "
        "closes within FENGQIAO_DISPUTE_JUDICIAL_REMIND_DAYS days (once per agreement). Meant to run "
        "daily, e.g. from the worker."
    )

    def act(self, actor, *args, **options):
        self.stdout.write(f"{remind_judicial_windows()} agreements reminded")
