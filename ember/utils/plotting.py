"""``keras.utils.plot_model``, drawn by ``ember.visualize.plot_model`` (no graphviz)."""

from __future__ import annotations


def plot_model(model, to_file: str = "model.png", show_shapes: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", **kwargs):
    """Draw the layer graph of ``model`` to ``to_file`` (PNG or SVG by extension), as
    ``keras.utils.plot_model``; returns the matplotlib Figure. Needs ``ember[plot]``."""
    from ember.visualize import plot_model as draw

    return draw(model, path=to_file, show_shapes=show_shapes,
                show_layer_names=show_layer_names, rankdir=rankdir)
