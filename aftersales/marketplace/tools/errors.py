from config.errors import RuleViolation


class ToolError(RuleViolation):
    """A marketplace tool refused the call; ``message`` is the exact text of the tool contract."""

    code = "tool_rule"
