"""gunicorn's settings for Fengqiao: ``gunicorn -c python:fengqiao.gunicorn_conf fengqiao.wsgi …``.

gunicorn writes its times in the process's time zone. Loading Django's settings here moves their
``TIME_ZONE`` into the environment (Django does so for every process that loads them) before
gunicorn writes a line, so its own lines, its access log and Django's (``fengqiao.logs``) all
read in the same zone, with its offset. A bad setting also stops the server here, naming it.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

from django.conf import settings  # noqa: E402

time_zone = settings.TIME_ZONE  # reading a setting loads them all, and sets TZ

# The access log on standard output, in gunicorn's usual format; its own log on standard error.
accesslog = "-"
errorlog = "-"
