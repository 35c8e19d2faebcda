"""The video side's figures for the command room (``core.indicators``, section "prevention"):
cameras in service now, and cases recorded as solved by video in the period with the fugitives
caught among them. Each links to the list that shows exactly the records it counts."""

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, register
from fengqiao.video.choices import CameraStatus
from fengqiao.video.models import Camera, SolvedByVideo

SECTION = "prevention"


def _cameras(params: dict) -> str:
    return f"{reverse('camera_list')}?{urlencode(params)}"


def _solved(params: dict) -> str:
    return f"{reverse('video_solved')}?{urlencode(params)}"


def _solved_figure(name, label, formula, q=None, params=None) -> Indicator:
    return Indicator(
        name,
        label,
        unit=_("cases"),
        formula=formula,
        section=SECTION,
        model=SolvedByVideo,
        q=q or Q(),
        params=params or {},
        date_field="solved_on",
        period_params=("start", "end"),
        list_url=_solved,
    )


def register_figures() -> None:
    register(
        Indicator(
            "video.cameras",
            _("cameras in service"),
            unit=_("cameras"),
            formula=_("Cameras of the inventory in service in the jurisdiction now (天网 and 地网)."),
            section=SECTION,
            model=Camera,
            q=Q(status=CameraStatus.ACTIVE),
            params={"status": CameraStatus.ACTIVE},
            date_field=None,
            list_url=_cameras,
        ),
        _solved_figure(
            "video.solved",
            _("cases solved by video on record"),
            _("Cases recorded as solved by video in the period, with the cameras that solved them."),
        ),
        _solved_figure(
            "video.fugitives",
            _("fugitives caught by video"),
            _("Cases solved by video in the period in which a fugitive was caught."),
            Q(fugitive_caught=True),
            {"fugitive": "1"},
        ),
    )
