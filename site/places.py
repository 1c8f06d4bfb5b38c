"""Where the park is and who answers: the regional map (SVG from content), map links, desks."""

import hashlib
import io
import math
from urllib.parse import urlencode

import segno
from babel.lists import format_list
from flask import abort, current_app, g, request
from flask_babel import get_locale, gettext, ngettext

from core import choices
from core.content import get_content
from core.i18n import number, phone, translated
from public_site import bp
from public_site.rendering import render_page

# The map's drawing area in SVG units; text is sized against it (see site.css .region-map).
MAP_WIDTH = 600
MARGIN = 40
KM_PER_DEGREE_LAT = 111.32
# WeChat codes are scanned from a screen or a printed page: error correction M, quiet zone 4.
QR_MAX_AGE = 24 * 3600


def _lon_lat(point, places: dict) -> tuple[float, float]:
    if isinstance(point, str) and point in places:
        return places[point]["lon"], places[point]["lat"]
    lon, lat = (float(n) for n in str(point).split(","))
    return lon, lat


def _layout(data: dict) -> dict:
    """Places, motorways and the ring projected to SVG units (equirectangular at the park)."""
    places = {p["code"]: p for p in data["places"]}
    ring = data.get("ring")
    centre = places[ring["centre"]] if ring else None
    ring_deg = (ring["radius_km"] / KM_PER_DEGREE_LAT) if ring else 0
    scale_x = math.cos(math.radians(places["park"]["lat"]))
    lons = [p["lon"] for p in places.values()]
    lats = [p["lat"] for p in places.values()]
    if centre:
        lons += [centre["lon"] - ring_deg / scale_x, centre["lon"] + ring_deg / scale_x]
        lats += [centre["lat"] - ring_deg, centre["lat"] + ring_deg]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    unit = (MAP_WIDTH - 2 * MARGIN) / ((east - west) * scale_x)
    height = round((north - south) * unit + 2 * MARGIN)

    def xy(lon, lat):
        return round(MARGIN + (lon - west) * scale_x * unit, 1), round(
            MARGIN + (north - lat) * unit, 1
        )

    drawn = []
    for p in data["places"]:
        x, y = xy(p["lon"], p["lat"])
        drawn.append({**p, "x": x, "y": y})
    roads = []
    for road in data.get("motorways", []):
        points = [xy(*_lon_lat(point, places)) for point in road["points"]]
        mid = points[len(points) // 2 - 1] if len(points) > 1 else points[0]
        roads.append(
            {"name": road["name"], "points": " ".join(f"{x},{y}" for x, y in points), "mid": mid}
        )
    circle = None
    if centre:
        cx, cy = xy(centre["lon"], centre["lat"])
        circle = {"x": cx, "y": cy, "r": round(ring_deg * unit, 1), "name": ring["name"]}
    return {"width": MAP_WIDTH, "height": height, "places": drawn, "roads": roads, "ring": circle}


def map_layout() -> dict:
    content = get_content()
    cache = current_app.extensions.setdefault("region_map_layout", {})
    if content.version not in cache:
        cache[content.version] = _layout(content["places"]["map"])
    return cache[content.version]


def travel(place: dict) -> str:
    """'about 40 km, some 45 minutes by car' in the reader's language."""
    minutes = place["minutes"]
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        time = (
            gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
            if rest
            else ngettext("%(num)s hour", "%(num)s hours", hours)
        )
    else:
        time = ngettext("%(num)s minute", "%(num)s minutes", minutes)
    return gettext(
        "about %(km)s km by road, some %(time)s by car", km=number(place["km"]), time=time
    )


def map_links(place: dict, lang: str) -> list[dict]:
    """Outbound links to a map service the reader uses: Amap and Baidu in China, else OSM."""
    lon, lat, name = place["lon"], place["lat"], translated(place["name"], lang)
    if lang == "zh":
        amap = "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{lon},{lat}", "name": name, "coordinate": "wgs84", "callnative": 1}
        )
        baidu = "https://api.map.baidu.com/marker?" + urlencode(
            {
                "location": f"{lat},{lon}",
                "title": name,
                "content": name,
                "coord_type": "wgs84",
                "output": "html",
                "src": "qingyuan-port",
            }
        )
        return [
            {"href": amap, "label": gettext("Open in Amap"), "host": "amap.com"},
            {"href": baidu, "label": gettext("Open in Baidu Maps"), "host": "baidu.com"},
        ]
    osm = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=12/{lat}/{lon}"
    return [{"href": osm, "label": gettext("Open in OpenStreetMap"), "host": "openstreetmap.org"}]


def coordinates(place: dict) -> str:
    """Degrees north and east, as a GPS shows them."""
    return gettext(
        "%(lat)s° N, %(lon)s° E", lat=number(place["lat"], 3), lon=number(place["lon"], 3)
    )


def desks() -> list[dict]:
    """The bureau's desks as the contact page shows them: person, languages, phone, WeChat."""
    out = []
    for desk in get_content()["places"]["desks"]:
        out.append(
            {
                **desk,
                # "German, English, and Chinese"; "德语、英语和中文".
                "languages_text": format_list(
                    [choices.language_name(code) for code in desk["languages"]],
                    locale=get_locale(),
                ),
                "phone_shown": phone(desk["phone"]),
            }
        )
    return out


@bp.route("/location")
def location():
    data = get_content()["places"]["map"]
    park = next(p for p in data["places"] if p["kind"] == "park")
    destinations = [
        {**p, "travel": travel(p), "coordinates": coordinates(p), "links": map_links(p, g.lang)}
        for p in data["places"]
        if p["kind"] != "park"
    ]
    return render_page(
        "site/location.html",
        region=map_layout(),
        park=park,
        park_coordinates=coordinates(park),
        park_links=map_links(park, g.lang),
        destinations=destinations,
        summary=translated(get_content().site["location"]["summary"]),
    )


@bp.route("/contact/wechat-<code>.svg")
def wechat_qr(code: str):
    """A desk's WeChat ID as a QR code, drawn here: no third-party image or script."""
    desk = next((d for d in get_content()["places"]["desks"] if d["code"] == code), None)
    if desk is None or not desk.get("wechat"):
        abort(404)
    # WeChat's own add-contact links need its servers; the ID itself scans into WeChat's search.
    out = io.BytesIO()
    segno.make(desk["wechat"], error="m").save(
        out, kind="svg", scale=6, border=4, xmldecl=False, svgns=True
    )
    body = out.getvalue()
    response = current_app.response_class(body, mimetype="image/svg+xml")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response.make_conditional(request)
