from .access import ApiClient, StaffProfile
from .regions import Region

__all__ = ["ApiClient", "Region", "StaffProfile"]
