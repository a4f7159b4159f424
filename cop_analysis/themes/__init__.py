"""Themes: BERTopic clustering of segment selections, guided by the codebook (see docs/themes.md)."""

from .model import MIN_SEGMENTS, ThemeGuide, ThemeModel, auto_n_themes, guides_from_codebook, load_topic_model

__all__ = ["MIN_SEGMENTS", "ThemeGuide", "ThemeModel", "auto_n_themes", "guides_from_codebook", "load_topic_model"]
