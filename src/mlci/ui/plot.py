"""A metric across versions as an inline SVG line plot (no script, no external file).

The SVG is built from numbers and fixed strings only; the metric name, the one piece of
text from outside, is escaped.
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36


def _ticks(low: float, high: float) -> list[float]:
    if high == low:
        return [low]
    step = (high - low) / 4
    return [low + step * i for i in range(5)]


def line_plot(
    points: list[tuple[int, float]], metric: str, highlight: set[int] | None = None
) -> str:
    """`points` are (version, value), oldest first; versions in `highlight` are ringed."""
    if not points:
        return ""
    highlight = highlight or set()
    versions = [v for v, _ in points]
    values = [y for _, y in points]
    x_low, x_high = min(versions), max(versions)
    y_low, y_high = min(values), max(values)
    if y_low == y_high:
        y_low, y_high = y_low - 1, y_high + 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(version: int) -> float:
        span = (x_high - x_low) or 1
        return LEFT + (version - x_low) / span * inner_w

    def y(value: float) -> float:
        return TOP + (y_high - value) / (y_high - y_low) * inner_h

    parts = [
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(metric)} by version">',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + inner_h}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}"/>',
    ]
    for tick in _ticks(y_low, y_high):
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick:.4g}</text>'
        )
    for version in sorted({x_low, x_high}):
        parts.append(
            f'<text class="tick" x="{x(version):.1f}" y="{HEIGHT - 18}" '
            f'text-anchor="middle">v{version}</text>'
        )
    parts.append(
        f'<text class="label" x="{LEFT + inner_w / 2:.1f}" y="{HEIGHT - 4}" '
        f'text-anchor="middle">{escape(metric)} by version</text>'
    )
    path = " ".join(f"{x(v):.1f},{y(value):.1f}" for v, value in points)
    parts.append(f'<polyline class="line" points="{path}"/>')
    if len(points) <= 200:  # beyond that the dots are a smear; the line says enough
        for version, value in points:
            kind = "dot served" if version in highlight else "dot"
            parts.append(
                f'<circle class="{kind}" cx="{x(version):.1f}" cy="{y(value):.1f}" r="3.5">'
                f"<title>v{version}: {value:.6g}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
