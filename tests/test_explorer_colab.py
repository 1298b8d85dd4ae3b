"""Colab: its widget manager shows an explorer only once it is told to load custom widgets.

Colab cannot run here, so the test stands in for its ``google.colab.output`` module and
checks what Colab needs from the kernel side: building an explorer turns Colab's custom
widget manager on, and the display bundle carries the manager's address in its metadata,
as anywidget arranges for every widget built on it.
"""

from __future__ import annotations

import sys
import types

import anywidget._util

from descent.explorers import QuadraticExplorer

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_an_explorer_turns_on_colabs_widget_manager(monkeypatch):
    calls = []
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enabled")
    output._widgets = types.SimpleNamespace(_installed_url="https://colab.example/widgets.js")
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    anywidget._util.enable_custom_widget_manager_once.cache_clear()
    try:
        explorer = QuadraticExplorer(sliders=["learning_rate"])
        data, metadata = explorer._repr_mimebundle_()
    finally:
        anywidget._util.enable_custom_widget_manager_once.cache_clear()
    assert calls == ["enabled"]
    assert metadata[WIDGET]["colab"]["custom_widget_manager"]["url"] == "https://colab.example/widgets.js"
    assert WIDGET in data and "text/html" in data  # The live widget, and the page's version.
    assert data[WIDGET]["model_id"] == explorer.model_id


def test_outside_colab_no_manager_is_asked_for():
    assert "google.colab.output" not in sys.modules
    data, metadata = QuadraticExplorer(sliders=["learning_rate"])._repr_mimebundle_()
    assert metadata == {} or WIDGET not in metadata
