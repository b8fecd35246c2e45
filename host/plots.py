# SPDX-License-Identifier: MIT
"""Plots to files: matplotlib without a window, each PNG written under a temporary name and
renamed, so a reader never sees half a picture."""
from __future__ import annotations

import os


def pyplot():
    import matplotlib
    matplotlib.use("Agg")     # files only; never a window
    import matplotlib.pyplot as plt
    return plt


def save_fig(fig, path: str, dpi: int = 100) -> None:
    plt = pyplot()
    tmp = os.path.join(os.path.dirname(path) or ".", "." + os.path.basename(path) + ".tmp.png")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
