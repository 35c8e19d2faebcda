"""Background work of duty rosters: the solver's proposal (up to ten seconds) runs in the worker
(``fengqiao db_worker``) while the roster's page says it is being proposed."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_tasks import task

from fengqiao.accounts.models import User
from fengqiao.core.context import Source, acting_as
from fengqiao.duty.choices import ProposalStatus
from fengqiao.duty.models import Roster

UNSCOPED = "duty: the worker proposes the roster its planner queued"


@task()
def propose_in_worker(roster_id: int, actor_id: int, first_only: bool = False) -> dict:
    """Propose the roster as the planner who asked; the roster keeps the answer for its page."""
    from fengqiao.duty import actions

    roster = Roster.objects.unscoped(reason=UNSCOPED).select_related("unit").get(pk=roster_id)
    if roster.proposal_status != ProposalStatus.QUEUED:
        return {"skipped": True}  # queued twice: the first run answered
    actor = User.objects.get(pk=actor_id)
    with acting_as(actor, Source.WORKER):
        try:
            proposal = actions.propose_roster(roster, actor=actor, first_only=first_only)
        except ValidationError as error:  # the staff or the shifts went in between
            actions.proposal_failed(roster, " ".join(error.messages))
            return {"feasible": False, "error": " ".join(error.messages)}
        except (PermissionDenied, Http404):  # the planner's post or role changed in between
            actions.proposal_failed(roster, _("You may no longer plan this roster."))
            return {"feasible": False, "error": "permission"}
        except BaseException:
            # never leave the page saying "being proposed" for ever; the worker logs the error
            actions.proposal_failed(roster, _("The proposal failed; try again."))
            raise
    return {
        "feasible": proposal.feasible,
        "shifts": len(proposal.slots),
        "seconds": round(proposal.seconds, 2),
    }
