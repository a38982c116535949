"""The evaluation report as a PNG: F1 per field for each variant side by side,
and the invented-value rate per variant.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no
global backend switch), and written atomically, so a failed run never leaves a
half-written image.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

BAR_GROUP_WIDTH = 0.8


def write_chart(report: dict[str, Any], output: Path) -> Path:
    """Draw ``report`` (``evaluation.summary``) into the PNG file ``output``."""
    figure = draw(report)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".png", dir=output.parent)
    os.close(fd)
    try:
        figure.savefig(tmp, format="png", dpi=120)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output


def draw(report: dict[str, Any]) -> Any:
    """The figure (a ``matplotlib.figure.Figure``) for ``report``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ran = [v for v in report["variants"] if not v["skipped"]]
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    f1_axes, invented_axes = figure.subplots(1, 2, width_ratios=[3, 1])
    _f1_bars(f1_axes, ran, report["fields"])
    _invented_bars(invented_axes, ran)
    skipped = [f"{v['name']}: {v['skipped']}" for v in report["variants"] if v["skipped"]]
    title = f"{report['plugin']} {report['plugin_version']}: {report['documents']} documents"
    figure.suptitle(title + (f"  (skipped: {'; '.join(skipped)})" if skipped else ""))
    return figure


def _f1_bars(axes: Any, variants: list[dict[str, Any]], fields: list[str]) -> None:
    names = [*fields, "all fields"]
    width = BAR_GROUP_WIDTH / max(len(variants), 1)
    for i, variant in enumerate(variants):
        scores = [variant["fields"][f]["f1"] for f in fields] + [variant["overall"]["f1"]]
        xs = [x + (i - (len(variants) - 1) / 2) * width for x in range(len(names))]
        bars = axes.bar(xs, [s or 0.0 for s in scores], width, label=variant["name"])
        axes.bar_label(bars, labels=["-" if s is None else f"{s:.2f}" for s in scores], fontsize=7)
    axes.set_xticks(range(len(names)), names, rotation=20, ha="right")
    axes.set_ylim(0, 1.25)
    axes.set_ylabel("F1")
    axes.set_title("F1 per field")
    if variants:
        axes.legend(loc="upper center", ncols=len(variants), fontsize=8)


def _invented_bars(axes: Any, variants: list[dict[str, Any]]) -> None:
    rates = [v["invented_rate"] for v in variants]
    bars = axes.bar(
        [v["name"] for v in variants],
        [r or 0.0 for r in rates],
        color=[f"C{i}" for i in range(len(variants))],
    )
    axes.bar_label(bars, labels=["-" if r is None else f"{100 * r:.0f}%" for r in rates], fontsize=8)
    axes.set_ylim(0, 1.1)
    axes.set_ylabel("invented / values given")
    axes.set_title("invented values")
    axes.tick_params(axis="x", labelrotation=20)
