"""Sphinx configuration. Sphinx (not MkDocs) because autodoc builds the reference from the same
docstrings the code carries, and `-W` turns every broken reference into a CI failure."""

from __future__ import annotations

import kinesim

project = "kinesim"
author = "the kinesim developers"
copyright = "2026, the kinesim developers"
version = release = kinesim.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"kinesim {release}"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
# Type hints of the builtin ``bytes`` are ambiguous once two documented classes have an
# attribute named ``bytes`` (FanoutEvent.bytes, ShardRead.bytes); "ref.python" is exactly that
# "more than one target found" warning, nothing else.
suppress_warnings = ["ref.python"]
