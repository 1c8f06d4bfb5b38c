"""What a page tells search engines and link previews: schema.org JSON-LD for the bureau (every
page), each plot (Place) and each event (Event); Open Graph locales. The tags are in base.html."""

from flask import g, has_request_context, request, url_for

from core.content import get_content
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES, translated
from core.urls import absolute
from public_site import bp

# Open Graph wants language_TERRITORY; the readers we write for.
OG_LOCALES = {"zh": "zh_CN", "en": "en_GB", "de": "de_DE", "fr": "fr_FR"}


def organization() -> dict:
    """The investment bureau as the organisation behind the site, in the page's language."""
    site = get_content().site
    bureau = site["bureau"]
    return {
        "@type": "GovernmentOrganization",
        "@id": absolute("/#bureau"),
        "name": translated(bureau["name"]),
        "url": absolute(url_for("site.home")),
        "email": bureau["email"],
        "telephone": bureau["phone"].replace(" ", ""),
        "address": {"@type": "PostalAddress", "streetAddress": translated(bureau["address"])},
        "areaServed": translated(site["park"]["county"]),
        "logo": absolute(url_for("root.static", filename="favicon.svg")),
    }


def plot_place(plot, zone_name: str, area: str, description: str) -> dict:
    """A plot as a schema.org Place inside the park."""
    site = get_content().site
    return {
        "@type": "Place",
        "@id": absolute(url_for("site.plot", code=plot.code)) + "#place",
        "name": plot.code,
        "url": absolute(url_for("site.plot", code=plot.code)),
        "description": description,
        "containedInPlace": {
            "@type": "Place",
            "name": f"{translated(site['park']['name'])}, {zone_name}",
            "address": translated(site["bureau"]["address"]),
        },
        "additionalProperty": [
            {
                "@type": "PropertyValue",
                "name": "area",
                "value": float(plot.area_m2),
                "unitCode": "MTK",
                "unitText": area,
            },
        ],  # fmt: skip
    }


def event_data(event, lang: str) -> dict:
    """A trade fair where the bureau has a booth, as a schema.org Event."""
    venue = event.text("venue", lang)
    city = event.text("city", lang)
    return {
        "@type": "Event",
        "name": event.text("name", lang),
        "description": event.text("summary", lang),
        "startDate": event.starts_on.isoformat(),
        "endDate": event.ends_on.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": absolute(url_for("site.event", slug=event.slug)),
        "location": {"@type": "Place", "name": venue or city, "address": city or venue},
        "organizer": {"@id": absolute("/#bureau")},
        "inLanguage": LANGUAGES[lang]["tag"],
    }


def graph(*items: dict) -> dict:
    """One JSON-LD document: the bureau, then what the page adds."""
    return {"@context": "https://schema.org", "@graph": [organization(), *items]}


@bp.app_context_processor
def sharing_context():
    if not has_request_context() or request.blueprint != "site" or g.get("lang") is None:
        return {}
    return {
        "og_locale": OG_LOCALES[g.lang],
        "og_alternate_locales": [OG_LOCALES[x] for x in PUBLIC_LANGUAGES if x != g.lang],
        "structured_graph": graph,
        "plot_place": plot_place,
    }
