# One module per purpose; importing them registers their ModelAdmins.
from . import (
    access,  # noqa: F401
    marketplace,  # noqa: F401
    regions,  # noqa: F401
    sops,  # noqa: F401
)
