"""How many records a prevention figure's link shows a user: the list pages' own filters over the
same scoped reads, for the command-room tests (``tests/analytics``) and ours."""

from urllib.parse import parse_qsl, urlsplit

from django.urls import reverse

from fengqiao.patrols import selectors as patrols
from fengqiao.patrols.indicators import hours_walked
from fengqiao.video import selectors as video


def prevention_lists() -> dict:
    return {
        reverse("patrol_team_list"): (patrols.TeamFilter, patrols.teams_for),
        reverse("patrol_member_list"): (patrols.MemberFilter, patrols.members_for),
        reverse("patrol_list"): (patrols.PatrolFilter, patrols.patrols_for),
        reverse("patrol_visits"): (patrols.VisitFilter, patrols.visits_for),
        reverse("scene_arrivals"): (patrols.ArrivalFilter, patrols.late_cases),
        reverse("camera_list"): (video.CameraFilter, video.cameras_for),
        reverse("video_solved"): (video.SolvedFilter, video.solved_for),
    }


def prevention_count(user, url: str) -> int | float | None:
    """The figure the list at ``url`` shows ``user``: how many records it lists, or for the finished
    patrols (the link of the patrol hours) the hours it adds up; None when it is not a prevention
    list."""
    parts = urlsplit(url)
    found = prevention_lists().get(parts.path)
    if found is None:
        return None
    flt, read = found
    params = dict(parse_qsl(parts.query))
    listed = flt.from_params(params).apply(read(user))
    if parts.path == reverse("patrol_list") and params.get("finished") == "1":
        return hours_walked(listed)
    return listed.count()
