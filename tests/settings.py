"""Settings for the test suite: the project's own, with a throwaway key and a fast hasher."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("FENGQIAO_SECRET_KEY", "fengqiao-test-suite-key-not-secret")
os.environ.setdefault("FENGQIAO_HTTPS", "0")

from fengqiao.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Uploads of the suite go to a directory of their own, never into the checkout's ./var.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"fengqiao-test-media-{os.getpid()}"

# The suite sends many anonymous requests from one address in a minute; the rate-limit tests set
# the limits they test.
ANONYMOUS_REPORTS_PER_MINUTE = ANONYMOUS_READS_PER_MINUTE = 10_000

# Two factors: the suite's staff have no authenticator app; the two-factor tests set "required".
STAFF_MFA = "optional"

# A throwaway PostgreSQL database need not wait for the disk at each commit (the suite commits
# after every transactional test and every live-server request); what is tested is unchanged.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
