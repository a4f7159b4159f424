"""Auto-coding suggestions: rules, code definitions (zero-shot) and classifiers learned from human codes.

Suggestions are never codes: they go to the ledger as ``suggested`` and become a coding only
when a human accepts them. See ``docs/autocode.md``.
"""

from .base import SUGGEST_COLUMNS, ScoreTable
from .combine import CombinedSuggester
from .definitions import DefinitionSuggester
from .evaluate import evaluate
from .finetune import FineTuneParams
from .learned import LearnedSuggester
from .project import load_metrics, next_informative_segments, suggest_project
from .rules import RuleSuggester

__all__ = ["SUGGEST_COLUMNS", "CombinedSuggester", "DefinitionSuggester", "FineTuneParams", "LearnedSuggester",
           "RuleSuggester", "ScoreTable", "evaluate", "load_metrics", "next_informative_segments", "suggest_project"]
