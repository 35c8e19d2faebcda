from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    """Cameras (天网, 地网), the video-patrol log, cases solved by video."""

    name = "fengqiao.video"
    label = "video"
    verbose_name = _("Cameras and video patrol")

    def ready(self):
        from fengqiao.video.figures import register_figures

        register_figures()  # the command room's figures (core.indicators)
