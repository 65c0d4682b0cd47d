"""Where the page side's files are, and the Jinja environment for its HTML templates.

The page files live in the repository's top-level ``templates/`` folder (the template
root): ``bridge/`` the ``%%jsexec`` bridge's page code, ``player/`` the player's, and
``limits.js`` shared by both. The wheel carries them as ``ipyanimagic/templates``. A
source checkout (editable install) has no such folder inside the package, so the
repository folder is used instead.

A template is named by its path relative to the template root, with ``/`` between
folders (``player/player.html``), here and in a Jinja ``{% include %}``. Only the HTML
(``player/player.html``, ``player/export.html``, ``player/embed.html``) goes through
Jinja, autoescaped. The JavaScript is plain ES modules, joined by :mod:`ipyanimagic.esm`
without a template engine, so that no value is ever spliced into script source by one.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["environment", "render", "template_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def template_dir() -> Path:
    """Where the templates are: inside the installed package, or in the source tree."""
    inside = _PACKAGE_DIR / "templates"
    if inside.is_dir():
        return inside
    source = _PACKAGE_DIR.parent / "templates"
    if source.is_dir() and (_PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return source
    raise FileNotFoundError(
        "ipyanimagic's templates are missing: the package is installed incompletely"
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The shared Jinja environment: HTML autoescaped, JS and CSS verbatim, strict names."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm"), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    """Render one template by its path under the template root (``player/player.html``).

    HTML is autoescaped; undefined names are errors.
    """
    return environment().get_template(name).render(**context)
