"""Pictures of the park (content/images): WebP and JPEG variants and share previews, built once."""

import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import click
import yaml
from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from core.content import read_yaml
from core.i18n import PUBLIC_LANGUAGES

DEFAULT_WIDTHS = (480, 960, 1440)
# Open Graph and Twitter's large card both show 1.91:1; 1200 x 630 is what they recommend.
PREVIEW_SIZE = (1200, 630)
PREVIEW_SOURCE = "park-aerial"
# Part of the preview's file name: raise it when the drawing below changes, so servers make it anew.
PREVIEW_LAYOUT = 2
# The preview names the park in its language: Chinese needs a CJK font (Debian's fonts-noto-cjk).
PREVIEW_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
BRAND_DARK = (7, 51, 73)
ACCENT = (242, 193, 78)


class ImageError(Exception):
    """The picture manifest or a source is missing or malformed."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    webp: str
    jpeg: str


@dataclass(frozen=True)
class Picture:
    key: str
    alt: dict
    credit: dict
    variants: tuple[Variant, ...]

    @property
    def largest(self) -> Variant:
        return self.variants[-1]

    @property
    def fallback(self) -> Variant:
        """The JPEG a browser without srcset loads: the middle width."""
        return self.variants[len(self.variants) // 2]


class ImageLibrary:
    """The manifest read once; variants made on first use (or by `flask build-images`)."""

    def __init__(self, content_dir: str | Path, build_dir: str | Path):
        self.source_dir = Path(content_dir) / "images"
        self.build_dir = Path(build_dir) / "images"
        self.entries = self._read_manifest()
        self._built: dict[str, Picture] = {}
        self._previews: dict[str, str] = {}
        self._lock = threading.Lock()

    def _read_manifest(self) -> dict[str, dict]:
        path = self.source_dir / "images.yaml"
        if not path.exists():
            return {}
        try:
            entries = (read_yaml(path.read_text(encoding="utf-8")) or {}).get("images") or {}
        except yaml.YAMLError as exc:
            raise ImageError(f"{path}: {exc}") from exc
        for key, entry in entries.items():
            if not (self.source_dir / str(entry.get("source", ""))).is_file():
                raise ImageError(f"{path}: {key}: source {entry.get('source')!r} not found")
            for field in ("alt", "credit"):
                given = entry.get(field) or {}
                missing = [lang for lang in PUBLIC_LANGUAGES if not given.get(lang)]
                if missing:
                    raise ImageError(f"{path}: {key}: {field} lacks {', '.join(missing)}")
        return entries

    # -- building ---------------------------------------------------------------
    def _digest(self, key: str) -> str:
        entry = self.entries[key]
        digest = hashlib.sha256((self.source_dir / entry["source"]).read_bytes())
        digest.update(repr(self._widths(key)).encode())
        return digest.hexdigest()[:10]

    def _widths(self, key: str) -> tuple[int, ...]:
        return tuple(sorted(self.entries[key].get("widths") or DEFAULT_WIDTHS))

    def _render(self, key: str, width: int) -> Image.Image:
        source = self.source_dir / self.entries[key]["source"]
        if source.suffix == ".svg":
            import cairosvg  # only the build needs cairo, never a page from the cache

            png = cairosvg.svg2png(bytestring=source.read_bytes(), output_width=width)
            image = Image.open(io.BytesIO(png))
        else:
            image = Image.open(source)
            if image.width > width:
                height = round(image.height * width / image.width)
                image = image.resize((width, height), Image.LANCZOS)
        # JPEG has no transparency: lay the picture on white.
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            return flat
        return image.convert("RGB")

    def _build(self, key: str) -> Picture:
        entry = self.entries[key]
        digest = self._digest(key)
        self.build_dir.mkdir(parents=True, exist_ok=True)
        variants = []
        for width in self._widths(key):
            webp = f"{key}-{digest}-{width}.webp"
            jpeg = f"{key}-{digest}-{width}.jpg"
            if (self.build_dir / webp).exists() and (self.build_dir / jpeg).exists():
                with Image.open(self.build_dir / jpeg) as done:
                    variants.append(Variant(done.width, done.height, webp, jpeg))
                continue
            image = self._render(key, width)
            # Written under a temporary name and renamed: another process never reads half a file.
            for name, fmt, options in (
                (webp, "WEBP", {"quality": 80, "method": 6}),
                (jpeg, "JPEG", {"quality": 82, "optimize": True, "progressive": True}),
            ):
                partial = self.build_dir / f".{name}.{threading.get_ident()}"
                image.save(partial, fmt, **options)
                partial.replace(self.build_dir / name)
            variants.append(Variant(image.width, image.height, webp, jpeg))
        return Picture(key, entry["alt"], entry["credit"], tuple(variants))

    def picture(self, key: str) -> Picture | None:
        """The picture with its variants (made now if they are not there yet); None if unknown."""
        if key not in self.entries:
            return None
        found = self._built.get(key)
        if found is None:
            with self._lock:
                found = self._built.get(key) or self._build(key)
                self._built[key] = found
        return found

    def build_all(self) -> list[Picture]:
        pictures = [self.picture(key) for key in self.entries]
        for lang in PUBLIC_LANGUAGES:
            self.preview(lang, current_app.extensions["content"].site["park"]["name"][lang])
        return pictures

    def preview(self, lang: str, title: str) -> str | None:
        """The share preview (1200 x 630 JPEG) naming the park in lang; its file name."""
        source = self.picture(PREVIEW_SOURCE)
        if source is None:
            return None
        key = f"{source.largest.jpeg}|{title}|{PREVIEW_LAYOUT}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        name = f"preview-{lang}-{digest}.jpg"
        if self._previews.get(lang) == name and (self.build_dir / name).exists():
            return name
        with self._lock:
            if not (self.build_dir / name).exists():
                self._draw_preview(source, title, name)
            self._previews[lang] = name
        return name

    def _draw_preview(self, source: Picture, title: str, name: str) -> None:
        width, height = PREVIEW_SIZE
        with Image.open(self.build_dir / source.largest.jpeg) as base:
            scale = max(width / base.width, height / base.height)
            resized = base.resize((round(base.width * scale), round(base.height * scale)))
            left = (resized.width - width) // 2
            top = (resized.height - height) // 2
            card = resized.crop((left, top, left + width, top + height)).convert("RGB")
        draw = ImageDraw.Draw(card)
        band = 150
        draw.rectangle((0, height - band, width, height), fill=BRAND_DARK)
        draw.rectangle((0, height - band, width, height - band + 8), fill=ACCENT)
        font = _preview_font(64)
        draw.text((60, height - band // 2 + 4), title, fill=(255, 255, 255), font=font, anchor="lm")
        partial = self.build_dir / f".{name}.{threading.get_ident()}"
        card.save(partial, "JPEG", quality=85, optimize=True, progressive=True)
        partial.replace(self.build_dir / name)


def _preview_font(size: int):
    for path in PREVIEW_FONTS:
        if Path(path).exists():
            # In Noto CJK collections face 2 is Simplified Chinese (0 is Japanese).
            return ImageFont.truetype(path, size, index=2 if path.endswith(".ttc") else 0)
    return ImageFont.load_default(size)


def get_images() -> ImageLibrary:
    return current_app.extensions["images"]


def init_app(app) -> None:
    app.extensions["images"] = ImageLibrary(app.config["CONTENT_DIR"], app.config["BUILD_DIR"])

    @app.cli.command("build-images")
    def build_images_command():
        """Make the pictures' WebP and JPEG variants and the share previews (kept until changed)."""
        pictures = get_images().build_all()
        click.echo(f"{len(pictures)} pictures ready in {get_images().build_dir}")
