#!/usr/bin/env python3
"""Writes assets/wufix.ico (16, 32 and 48 px, 32-bit): a blue tile with a white circular arrow,
drawn here pixel by pixel. Usage: python3 assets/make-icon.py"""
import math
import os
import struct


def image(n):
    px = []
    c = (n - 1) / 2
    for y in range(n - 1, -1, -1):  # BMP rows run bottom-up
        for x in range(n):
            dx, dy = x - c, y - c
            r = math.hypot(dx, dy)
            if max(abs(dx), abs(dy)) > c - 0.5 and r > c * 1.25:
                px.append((0, 0, 0, 0))  # rounded corner: transparent
                continue
            ang = math.degrees(math.atan2(-dy, dx)) % 360
            ring = c * 0.45 <= r <= c * 0.72 and not 20 < ang < 70
            ax = c + c * 0.58 * math.cos(math.radians(70))
            ay = c - c * 0.58 * math.sin(math.radians(70))
            head = abs(x - ax) + abs((n - 1 - y) - ay) < c * 0.3 and x >= ax - 1
            px.append((255, 255, 255, 255) if ring or head else (212, 120, 0, 255))  # BGRA
    data = b"".join(struct.pack("BBBB", *p) for p in px)
    mask = b"\0" * (((n + 31) // 32) * 4 * n)
    header = struct.pack("<IiiHHIIiiII", 40, n, n * 2, 1, 32, 0, len(data) + len(mask), 0, 0, 0, 0)
    return header + data + mask


sizes = [16, 32, 48]
images = [image(n) for n in sizes]
out = struct.pack("<HHH", 0, 1, len(sizes))
offset = 6 + 16 * len(sizes)
for n, img in zip(sizes, images):
    out += struct.pack("<BBBBHHII", n, n, 0, 0, 1, 32, len(img), offset)
    offset += len(img)
out += b"".join(images)
with open(os.path.join(os.path.dirname(__file__), "wufix.ico"), "wb") as f:
    f.write(out)
