"""Pictures on the public pages: the built variants served at /media/, and the template helpers
that pick a picture's variants and the share preview of the page's language."""

import re

from flask import abort, current_app, g, send_from_directory

from core.content import get_content
from core.images import get_images
from core.static_urls import VERSIONED_MAX_AGE
from core.urls import absolute
from public_site import bp, root_bp

# A built file's name: <key>-<digest>-<width>.<ext> or preview-<lang>-<digest>.jpg.
MEDIA_NAME = re.compile(r"^[a-z0-9-]{1,80}\.(webp|jpg)$")


@root_bp.route("/media/<name>")
def media(name: str):
    """A built picture; its name carries its source's digest, so it may be kept a year."""
    if not MEDIA_NAME.match(name):
        abort(404)
    library = get_images()
    if not (library.build_dir / name).is_file():
        # Another process (or a fresh server) may not have built it yet: build what the
        # manifest names, then serve it if it is one of ours.
        for key in library.entries:
            if name.startswith(f"{key}-"):
                library.picture(key)
        if name.startswith("preview-"):
            for lang, title in get_content().site["park"]["name"].items():
                library.preview(lang, title)
    if not (library.build_dir / name).is_file():
        abort(404)
    response = send_from_directory(library.build_dir, name, max_age=VERSIONED_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    return response


def media_url(name: str) -> str:
    return current_app.url_for("root.media", name=name)


def share_preview() -> str | None:
    """The absolute address of the share preview naming the park in the page's language."""
    lang = g.get("lang")
    if not lang:
        return None
    title = get_content().site["park"]["name"][lang]
    name = get_images().preview(lang, title)
    return absolute(media_url(name)) if name else None


@bp.app_context_processor
def media_context():
    return {
        "image": lambda key: get_images().picture(key),
        "media_url": media_url,
        "share_preview": share_preview,
    }
