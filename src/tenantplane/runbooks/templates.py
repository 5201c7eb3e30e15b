"""Templates in http and built-in action configs, rendered in the product's one sandbox (`kit.templating`).

Only configs are rendered; script text never is (parameters reach scripts as data, not as code).
"""

from __future__ import annotations

from tenantplane.kit.templating import TemplateFailed, has_template, render, render_async, syntax_errors

__all__ = ["TemplateFailed", "has_template", "render", "render_async", "syntax_errors"]
