# Roles moved to fengqiao.core.roles (every layer asks them); this name stays for older imports.
from fengqiao.core.roles import GRID_MANAGERS, STAFF_ROLES, Role  # noqa: F401
