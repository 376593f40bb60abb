# One module per purpose; importing them registers their ModelAdmins.
from . import regions  # noqa: F401
