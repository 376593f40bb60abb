from .evidence import EvidenceJudgment
from .identification import IdentifierModel, TrainingExample
from .llm import LLMCall, ModelConfiguration
from .scenario import Scenario

__all__ = [
    "EvidenceJudgment",
    "IdentifierModel",
    "LLMCall",
    "ModelConfiguration",
    "Scenario",
    "TrainingExample",
]
