"""cop-analysis: a notebook-native qualitative analysis workbench for Communities of Practice.

Importing the package is cheap: torch, spaCy and BERTopic are imported lazily by the
modules that need them (see :mod:`cop_analysis.models`).
"""

__version__ = "0.1.0"
