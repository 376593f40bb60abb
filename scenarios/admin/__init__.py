# One module per purpose; importing them registers their ModelAdmins.
from . import catalogue, evidence, identifier, llm  # noqa: F401
