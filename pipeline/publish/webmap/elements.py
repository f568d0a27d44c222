"""Folium elements that never treat data as template source.

branca's ``MacroElement.render`` wraps each macro's output in a new element,
that is, parses text filled with data as Jinja a second time. The map's own
elements derive from :class:`SafeMacroElement`, which renders once and
places the output verbatim; every name handed to folium goes through
:func:`inert_html` first.
"""

from __future__ import annotations

import base64
import html
import re
from importlib import resources
from pathlib import Path

import branca
import folium
from xstatic.pkg import leaflet as xstatic_leaflet


def offline_assets() -> str:
    """Leaflet JS and CSS from the installed package, with CSS images as data URIs."""
    base = Path(xstatic_leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline_image(match: re.Match[str]) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    return f"<style>{css}</style>\n<script>{js}</script>"


def inert_html(text: object) -> str:
    """Text from an input file as HTML that is shown, never run or evaluated.

    ``html.escape`` makes markup inert; ``{`` becomes ``&#123;`` so that the
    text cannot open a Jinja construct (``{{ ... }}``, ``{% ... %}``) when
    folium renders the element holding it. Every input text (kelurahan,
    kecamatan, programme and region names) passed to a folium object goes
    through this function.
    """
    return html.escape(str(text)).replace("{", "&#123;")


class _Verbatim(branca.element.Element):
    """Text placed in the page exactly as given: never parsed as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class SafeMacroElement(branca.element.MacroElement):
    """A macro element whose rendered parts are placed verbatim.

    branca's :class:`~branca.element.MacroElement` wraps the output of each
    macro in a new ``Element``, i.e. it parses the output, with the data in
    it, as a Jinja template once more: a name such as ``{{ 6*7 }}`` would be
    evaluated, and ``{{ self.__init__.__globals__... }}`` would run code on
    the machine that builds the map. This subclass renders each macro once
    and adds the result as data (:class:`_Verbatim`).
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                target.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class Html(SafeMacroElement):
    """A block of HTML placed over the map, plus optional script."""

    _template = branca.element.Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}
        """
    )

    def __init__(self, markup: str, code: str = "") -> None:
        super().__init__()
        self._name = "KantongHtml"
        self.markup = markup
        self.code = code


def asset(name: str) -> str:
    """A text file shipped in ``pipeline/assets`` (the map's own script and style)."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


class Engine(SafeMacroElement):
    """The map's data (a JSON script element) and the script object drawing the kelurahan."""

    _template = branca.element.Template(
        """
        {% macro html(this, kwargs) %}<script type="application/json" id="{{ this.get_name() }}_data">{{ this.data }}</script>{% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new Kantong({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("{{ this.get_name() }}_data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, data: str) -> None:
        super().__init__()
        self._name = "Kantong"
        self.data = data


class EngineLayer(folium.map.Layer, SafeMacroElement):
    """A layer-control entry the map's script builds: ``call`` on the engine, e.g. ``theme(3)``.

    Themes are base layers (radio buttons: choosing one restyles the
    kelurahan); overlays are check boxes.
    """

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.engine }}.{{ this.call }};
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, engine: str, call: str, overlay: bool, show: bool) -> None:
        folium.map.Layer.__init__(self, name=inert_html(name), overlay=overlay, control=True, show=show)
        self._name = "Lapisan"
        self.engine = engine
        self.call = call
