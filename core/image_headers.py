"""The size an image declares in its header (PNG, JPEG, WebP, HEIF), read without decoding it:
a few kilobytes can declare a picture that takes gigabytes to show."""

import re


def dimensions(data: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) as the image's header declares them, without decoding it; None when
    the header does not say (the photo is then kept, as any browser would refuse to show it)."""
    if content_type == "image/png" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if content_type == "image/jpeg":
        return _jpeg_dimensions(data)
    if content_type == "image/webp":
        return _webp_dimensions(data)
    # HEIF: each image's "ispe" property box holds its size; the largest is the main image.
    sizes = [
        (int.from_bytes(data[at + 8 : at + 12], "big"), int.from_bytes(data[at + 12 : at + 16]))
        for at in (m.start() for m in re.finditer(b"ispe", data[:65536]))
    ]
    return max(sizes, key=lambda size: size[0] * size[1]) if sizes else None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            at += 2
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
            return int.from_bytes(data[at + 7 : at + 9]), int.from_bytes(data[at + 5 : at + 7])
        elif marker == 0xDA:  # the image data starts: no frame header came before it
            return None
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4])
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    return None
