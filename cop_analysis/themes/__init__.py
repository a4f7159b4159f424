"""Themes: BERTopic clustering of segment selections, guided by the codebook (see docs/themes.md).

Importing this package is cheap; BERTopic, UMAP and torch load inside the functions that need them.
"""

from . import figures
from .model import MIN_SEGMENTS, ThemeGuide, ThemeModel, auto_n_themes, guides_from_codebook, load_topic_model
from .project import (ThemeResult, default_selections, fit_project_themes, load_edits, load_table, merge_themes,
                      publish, rename_theme)

__all__ = ["MIN_SEGMENTS", "ThemeGuide", "ThemeModel", "ThemeResult", "auto_n_themes", "default_selections",
           "figures", "fit_project_themes", "guides_from_codebook", "load_edits", "load_table", "load_topic_model",
           "merge_themes", "publish", "rename_theme"]
