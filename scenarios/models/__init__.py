from .conversation import Channel, Conversation, ConversationEvent, ToolCall
from .evidence import EvidenceJudgment
from .identification import IdentifierModel, TrainingExample
from .llm import LLMCall, ModelConfiguration
from .scenario import Scenario

__all__ = [
    "Channel",
    "Conversation",
    "ConversationEvent",
    "EvidenceJudgment",
    "IdentifierModel",
    "LLMCall",
    "ModelConfiguration",
    "Scenario",
    "ToolCall",
    "TrainingExample",
]
from .flows import RoutingRule, ScenarioClause, ScenarioVersion, Turn

__all__ += ["RoutingRule", "ScenarioClause", "ScenarioVersion", "Turn"]
from .scenario_tests import ScenarioTestCase, ScenarioTestResult, ScenarioTestRun  # noqa: E402

__all__ += ["ScenarioTestCase", "ScenarioTestResult", "ScenarioTestRun"]
