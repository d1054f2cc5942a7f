"""The map's scripts and styles from the installed package, never from a CDN.

Intranets of public bodies often block public CDNs, and a folium map asks
for Leaflet, jQuery, Bootstrap and Font Awesome on five of them. The app's
maps only need Leaflet, which ships in this package (``static/leaflet``,
Leaflet as Debian's libjs-leaflet 1.7.1 packages it, BSD-2-Clause). :func:`local_assets`
points a map at that copy: the app serves it from its own server
(``/app/static/leaflet/...``, Streamlit's static serving, which
``coverage-plan app`` turns on) and an exported HTML map carries it inline,
so the file opens offline.

Basemap tiles are optional: a map made with ``tiles=None`` draws the
department outlines on a plain background, and :func:`tile_notice` adds a
visible message when tiles were asked for and cannot load.
"""

from __future__ import annotations

import base64
from pathlib import Path

import folium
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["LEAFLET", "STATIC", "local_assets", "tile_notice"]

#: The folder Streamlit serves at ``/app/static`` when static serving is on.
STATIC = Path(__file__).resolve().parent / "static"
#: Leaflet's script and style sheet, as installed with the package.
LEAFLET = {"js": STATIC / "leaflet" / "leaflet.min.js", "css": STATIC / "leaflet" / "leaflet.css"}


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def local_assets(m: folium.Map, *, base_url: str | None = None) -> folium.Map:
    """Point ``m`` and its layers at the package's Leaflet instead of the CDNs.

    Parameters
    ----------
    m
        A map whose layers need no script but Leaflet (every map of
        :func:`coverage.plan.maps.plan_map`).
    base_url
        Where the package's ``static`` folder is served (``"/app/static"`` in
        the app); None puts Leaflet inline as ``data:`` URLs, for a
        standalone HTML file.

    Returns
    -------
    folium.Map
        ``m`` itself, changed in place.

    Examples
    --------
    >>> import folium
    >>> m = local_assets(folium.Map(tiles=None), base_url="/app/static")
    >>> m.default_js
    [('leaflet', '/app/static/leaflet/leaflet.min.js')]
    >>> m.default_css
    [('leaflet_css', '/app/static/leaflet/leaflet.css')]
    >>> html = local_assets(folium.Map(tiles=None)).get_root().render()
    >>> "cdn" in html, "data:text/javascript;base64," in html
    (False, True)
    """
    if base_url is None:
        js, css = _data_uri(LEAFLET["js"], "text/javascript"), _data_uri(LEAFLET["css"], "text/css")
    else:
        js, css = f"{base_url}/leaflet/leaflet.min.js", f"{base_url}/leaflet/leaflet.css"
    m.default_js = [("leaflet", js)]
    m.default_css = [("leaflet_css", css)]
    for child in _descendants(m):
        if getattr(child, "default_js", None) or getattr(child, "default_css", None):
            child.default_js, child.default_css = [], []
    return m


def _descendants(element: object) -> list[object]:
    found = []
    for child in getattr(element, "_children", {}).values():
        found.append(child)
        found.extend(_descendants(child))
    return found


class _TileNotice(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map) {
            var shown = false;
            map.eachLayer(function(layer) {
                if (!(layer instanceof L.TileLayer)) { return; }
                layer.on("tileerror", function() {
                    if (shown) { return; }
                    shown = true;
                    var box = L.control({position: "bottomright"});
                    box.onAdd = function() {
                        var div = L.DomUtil.create("div", "coverage-tile-notice");
                        div.setAttribute("role", "status");
                        div.style.cssText = "background:#fff3cd;border:1px solid #c9a227;padding:4px 8px;"
                            + "font:12px sans-serif;max-width:260px";
                        div.textContent = {{ this.message|tojson }};
                        return div;
                    };
                    box.addTo(map);
                });
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, message: str) -> None:
        super().__init__()
        self._name = "TileNotice"
        self.message = message


def tile_notice(m: folium.Map, message: str) -> folium.Map:
    """Show ``message`` on ``m`` when its basemap tiles cannot load (an offline intranet).

    Examples
    --------
    >>> import folium
    >>> m = tile_notice(folium.Map(), "Basemap unavailable: department outlines only.")
    >>> "tileerror" in m.get_root().render()
    True
    """
    _TileNotice(message).add_to(m)
    return m
