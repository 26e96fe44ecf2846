"""The web chat (Gradio), on top of the public API. Only this package imports Gradio."""

from __future__ import annotations

from assistant.web.layout import build_demo, serve, theme
from assistant.web.ui import WebChat

__all__ = ["WebChat", "build_demo", "serve", "theme"]
