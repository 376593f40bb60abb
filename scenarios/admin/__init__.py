# One module per purpose; importing them registers their ModelAdmins.
from . import catalogue, conversations, evidence, flows, identifier, llm, scenario_tests  # noqa: F401
