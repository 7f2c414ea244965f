"""Pure view helpers for the Monitoring pages: uptime bars and an inline SVG latency chart
(no JavaScript)."""

from __future__ import annotations

from html import escape

from humangov.monitoring.rollup import Aggregate


def bar_class(agg: Aggregate) -> str:
    if not agg.total:
        return "none"
    pct = agg.success_pct or 0.0
    return "up" if pct >= 99.9 else "degraded" if pct >= 90 else "down"


def bar_title(agg: Aggregate, fmt: str = "%Y-%m-%d %H:%M") -> str:
    when = agg.start_at.strftime(fmt) + " UTC"
    if not agg.total:
        return f"{when}: no runs"
    return f"{when}: {agg.success_pct:.1f}% of {agg.total} runs ok"


def latency_svg(buckets: list[Aggregate], width: int = 720, height: int = 180) -> str:
    """p50 and p95 latency lines over the buckets, with success % as a shaded area behind."""
    pad_l, pad_b, pad_t = 48, 18, 8
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    n = max(1, len(buckets))
    top = max([b.p95_ms or 0 for b in buckets] + [b.p50_ms or 0 for b in buckets] + [1.0])
    step = plot_w / max(1, n - 1)

    def x(i: int) -> float:
        return pad_l + i * step

    def y(ms: float) -> float:
        return pad_t + plot_h * (1 - ms / top)

    def line(attr: str) -> str:
        values = [(i, getattr(b, attr)) for i, b in enumerate(buckets)]
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in values if v is not None)

    def bar(i: int, b: Aggregate) -> str:
        pct = b.success_pct or 0
        return (
            f'<rect x="{x(i) - step / 2:.1f}" y="{pad_t + plot_h * (1 - pct / 100):.1f}" '
            f'width="{step:.1f}" height="{plot_h * pct / 100:.1f}" class="success">'
            f"<title>{escape(bar_title(b))}</title></rect>"
        )

    success = [bar(i, b) for i, b in enumerate(buckets) if b.total]
    bottom = pad_t + plot_h
    return (
        f'<svg class="latency-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Latency p50 and p95, and success rate" xmlns="http://www.w3.org/2000/svg">'
        "<style>.success{fill:#2e7d3222}.p50{stroke:#1565c0;fill:none;stroke-width:2}"
        ".p95{stroke:#ef6c00;fill:none;stroke-width:2}text{font:11px sans-serif;fill:#555}</style>"
        + "".join(success)
        + f'<line x1="{pad_l}" y1="{bottom}" x2="{width - 8}" y2="{bottom}" stroke="#999"/>'
        f'<text x="4" y="{pad_t + 10}">{top:.0f} ms</text><text x="4" y="{bottom}">0 ms</text>'
        f'<polyline class="p95" points="{line("p95_ms")}"/>'
        f'<polyline class="p50" points="{line("p50_ms")}"/>'
        f'<text x="{pad_l}" y="{height - 4}">p50 (blue), p95 (orange), success % (green)</text>'
        "</svg>"
    )
