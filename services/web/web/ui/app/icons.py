"""The app's icons, drawn here (a white check on the pages' blue) and encoded as PNG with the
standard library: the manifest needs 192 and 512 px PNGs for a phone to install the app."""

from __future__ import annotations

import struct
import zlib
from functools import cache

BLUE, WHITE = (0x0b, 0x5c, 0xad), (0xff, 0xff, 0xff)  # the pages' --accent
SIZES = (192, 512)


def _on_check(x: float, y: float) -> bool:
    """Whether a point of the unit square lies on the check mark (two thick strokes)."""
    def near(ax, ay, bx, by, width=0.085) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width * width
    return near(0.26, 0.52, 0.43, 0.69) or near(0.43, 0.69, 0.76, 0.32)


@cache
def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(WHITE if _on_check((x + 0.5) / size, (y + 0.5) / size) else BLUE)
                           for x in range(size))
        for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + \
        chunk(b"IEND", b"")
