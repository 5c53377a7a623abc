"""``TensorBoard``: write what happens in ``fit`` as TensorBoard event files.

The files are written through tensorboardX (``pip install 'ember[tensorboard]'``) in
Keras's layout, so ``tensorboard --logdir logs`` shows them the same way:

- ``log_dir/train``: ``epoch_loss``, ``epoch_<metric>``, ``epoch_learning_rate`` (step: the
  epoch, from 0), ``batch_<name>`` with a batch ``update_freq`` (step: the training batch,
  from 1, counted across epochs), weight histograms and images, the graph of layers, a
  Python profile of chosen batches, and the embedding projector files;
- ``log_dir/validation``: the ``val_`` logs under the same names (``epoch_loss``...), and
  ``evaluation_<name>_vs_iterations`` after each validation or ``evaluate`` pass (step:
  the optimizer's ``iterations``).
"""

from __future__ import annotations

import cProfile
import io
import numbers
import os
import pstats
import time

import numpy as np

from ember.callbacks.callback import Callback


class TensorBoard(Callback):
    """Log scalars, histograms, images, the layer graph and embeddings for TensorBoard.

    Args:
        log_dir: Folder of the logs; ``train`` and ``validation`` sub-folders are made in it.
        histogram_freq: Every how many epochs (from epoch 0) to write a histogram of each
            weight, tagged ``<weight path>/histogram`` (``"dense/kernel/histogram"``);
            0 writes none.
        write_graph: Write the graph of layers (Functional and Sequential models) for
            TensorBoard's Graphs tab: one node per layer, named after it, with its class
            as op and its output shapes.
        write_images: With histograms, also write each weight as an image
            (``<weight path>/image``): a matrix as one image, a convolution kernel with
            one input channel as one image per filter.
        write_steps_per_second: Also log training steps per second
            (``epoch_steps_per_second``, and ``batch_steps_per_second`` with a batch
            ``update_freq``).
        update_freq: ``"epoch"`` logs once per epoch; ``"batch"`` also logs the training
            logs of every batch as ``batch_<name>``, an integer ``N`` every ``N`` batches.
        profile_batch: Training batches (counted from 1 across epochs) to profile with
            Python's ``cProfile``: an integer for one batch, a pair ``(start, stop)`` or a
            string ``"start,stop"`` for a range; 0 profiles nothing. The statistics are
            written to ``train/profile_batch_<start>_<stop>.prof`` (read them with
            ``python -m pstats`` or snakeviz) and the top functions as the text summary
            ``profile``.
        embeddings_freq: Every how many epochs (from epoch 0) to export embeddings for
            TensorBoard's projector; 0 exports none. With ``embeddings_data``, the
            embeddings are the outputs of the layers in ``embeddings_layer_names`` on
            that data; without it (as in Keras 3), the ``embeddings`` weight matrices of
            the model's ``Embedding`` layers.
        embeddings_metadata: Labels of the embedded rows: a list or array (for every
            layer), a dict from layer name to such labels, or a path (or dict of paths)
            to a file of one label per line, as Keras's ``embeddings_metadata``.
        embeddings_layer_names: Name or list of names of the layers to embed; by default
            the layer that feeds the output layer (with ``embeddings_data``) or every
            layer with an ``embeddings`` weight.
        embeddings_data: Inputs of the model whose layer outputs are embedded (an array,
            or a list of arrays for a model with several inputs).

    Example:
        >>> import ember
        >>> tensorboard = ember.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
        >>> # model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[tensorboard])
        >>> # then, in a shell: tensorboard --logdir logs
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq="epoch", profile_batch=0, embeddings_freq: int = 0,
                 embeddings_metadata=None, embeddings_layer_names=None, embeddings_data=None):
        super().__init__()
        _summary_writer_class()  # fail now, not after the first epoch, when it is missing
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_freq("histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _check_update_freq(update_freq)
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self.embeddings_freq = _check_freq("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        if isinstance(embeddings_layer_names, str):
            embeddings_layer_names = [embeddings_layer_names]
        self.embeddings_layer_names = embeddings_layer_names
        self.embeddings_data = embeddings_data
        self._writers: dict = {}
        self._in_fit = False
        self._global_train_batch = 0
        self._graph_written = False
        self._embedding_sources = None
        self._profiler = None
        self._batch_start = 0.0
        self._epoch_start = 0.0
        self._epoch_start_batch = 0

    # ---- writers ------------------------------------------------------------------------
    def _writer(self, kind: str):
        """The ``SummaryWriter`` of ``log_dir/<kind>``, opened on first use."""
        if kind not in self._writers:
            self._writers[kind] = _summary_writer_class()(logdir=os.path.join(self.log_dir,
                                                                               kind))
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ---- hooks --------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        self._graph_written = False
        self._embedding_sources = None

    def on_train_end(self, logs=None):
        if self._profiler is not None:
            self._stop_profile()
        self._close_writers()
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_batch = self._global_train_batch

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self._global_train_batch == self._start_batch:
            self._profiler = cProfile.Profile()
            self._profiler.enable()
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        seconds = time.perf_counter() - self._batch_start
        if self._profiler is not None and step >= self._stop_batch:
            self._stop_profile()
        if self.write_graph and not self._graph_written:
            # The first batch has built every layer, also of a Sequential without Input.
            self._write_layer_graph()
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in _scalars(logs).items():
            writer.add_scalar(f"batch_{name}", value, step)
        if self.write_steps_per_second and seconds > 0:
            writer.add_scalar("batch_steps_per_second", 1.0 / seconds, step)

    def on_epoch_end(self, epoch, logs=None):
        scalars = _scalars(logs)
        train = {k: v for k, v in scalars.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in scalars.items() if k.startswith("val_")}
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if "learning_rate" not in train and isinstance(learning_rate, numbers.Real):
            train["learning_rate"] = float(learning_rate)
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._epoch_start
            steps = self._global_train_batch - self._epoch_start_batch
            train["steps_per_second"] = steps / seconds if seconds > 0 else 0.0
        for kind, values in (("train", train), ("validation", validation)):
            if values:
                writer = self._writer(kind)
                for name, value in values.items():
                    writer.add_scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = int(np.asarray(optimizer.iterations))
            writer = self._writer("validation")
            for name, value in _scalars(logs).items():
                writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)
        if not self._in_fit:
            self._close_writers()

    # ---- what is written ----------------------------------------------------------------
    def _write_layer_graph(self) -> None:
        from tensorboardX.proto.event_pb2 import Event

        from ember.visualize.graph import layer_graph

        self._graph_written = True
        try:
            nodes = layer_graph(self.model)
        except ValueError:
            return  # a subclassed model has no graph of layers to show, as in Keras
        writer = self._writer("train")
        writer.file_writer.add_event(Event(graph_def=_graph_def(nodes).SerializeToString()))

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for weight in self.model.weights:
            values = _numpy(weight)
            writer.add_histogram(f"{weight.path}/histogram", values, epoch)
            if self.write_images:
                images = _weight_images(values)
                if images is not None:
                    writer.add_images(f"{weight.path}/image", images, epoch,
                                      dataformats="NHWC")

    def _log_embeddings(self, epoch: int) -> None:
        if self._embedding_sources is None:
            self._embedding_sources = self._resolve_embeddings()
        writer = self._writer("train")
        for name, vectors in self._embedding_sources():
            metadata = self._metadata(name, len(vectors))
            writer.add_embedding(vectors, metadata=metadata, global_step=epoch, tag=name)

    def _resolve_embeddings(self):
        """A function yielding ``(layer name, 2-D array)`` for each embedded layer."""
        if self.embeddings_data is not None:
            return self._layer_output_embeddings()
        layers = [layer for layer in self.model._flatten_layers(include_self=False)
                  if hasattr(layer, "embeddings") and (
                      self.embeddings_layer_names is None
                      or layer.name in self.embeddings_layer_names)]
        if not layers:
            raise ValueError(
                f"TensorBoard: embeddings_freq={self.embeddings_freq} needs embeddings_data "
                "(to embed layer outputs) or layers with an `embeddings` weight, received "
                f"model '{self.model.name}' with neither"
                + (f" (embeddings_layer_names={self.embeddings_layer_names})"
                   if self.embeddings_layer_names else "")
            )
        self._check_metadata_names([layer.name for layer in layers])
        return lambda: [(layer.name, _numpy(layer.embeddings)) for layer in layers]

    def _layer_output_embeddings(self):
        from ember.models.functional import Functional
        from ember.visualize.graph import layer_graph

        try:
            nodes = {node.layer.name: node for node in layer_graph(self.model)}
        except ValueError as exc:
            raise ValueError(
                f"TensorBoard: embeddings of layer outputs need a Functional or Sequential "
                f"model; {exc}"
            ) from None
        names = self.embeddings_layer_names or [_layer_before_output(self.model, nodes)]
        unknown = [name for name in names if name not in nodes]
        if unknown:
            raise ValueError(
                f"TensorBoard: expected embeddings_layer_names among the model's layers "
                f"{list(nodes)}, received unknown {unknown}"
            )
        self._check_metadata_names(names)
        submodels = [(name, Functional(self.model.inputs, nodes[name].outputs[0],
                                       name=f"{self.model.name}_{name}_embeddings"))
                     for name in names]
        data = self.embeddings_data

        def outputs():
            for name, submodel in submodels:
                vectors = submodel.predict(data, verbose=0)
                yield name, vectors.reshape(len(vectors), -1)

        return outputs

    def _check_metadata_names(self, names: list) -> None:
        if isinstance(self.embeddings_metadata, dict):
            unknown = sorted(set(self.embeddings_metadata) - set(names))
            if unknown:
                raise ValueError(
                    f"TensorBoard: expected embeddings_metadata keys among the embedded "
                    f"layers {names}, received unknown {unknown}"
                )

    def _metadata(self, name: str, rows: int):
        labels = self.embeddings_metadata
        if isinstance(labels, dict):
            labels = labels.get(name)
        if labels is None:
            return None
        if isinstance(labels, (str, os.PathLike)):
            labels = _read_labels(labels, self.log_dir, rows)
        labels = [str(label) for label in np.asarray(labels).reshape(-1)]
        if len(labels) != rows:
            raise ValueError(
                f"TensorBoard: expected {rows} embeddings_metadata labels for layer '{name}' "
                f"(one per embedded row), received {len(labels)}"
            )
        return labels

    def _stop_profile(self) -> None:
        self._profiler.disable()
        stats = pstats.Stats(self._profiler)
        self._profiler = None
        train_dir = os.path.join(self.log_dir, "train")
        os.makedirs(train_dir, exist_ok=True)
        last = min(self._stop_batch, self._global_train_batch)
        stats.dump_stats(os.path.join(train_dir,
                                      f"profile_batch_{self._start_batch}_{last}.prof"))
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats("cumulative").print_stats(30)
        # Indented lines are a code block in the markdown of TensorBoard's Text tab.
        block = "\n".join("    " + line for line in text.getvalue().splitlines())
        self._writer("train").add_text("profile", block, last)


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(
            "TensorBoard needs the tensorboardX package: pip install 'ember[tensorboard]'"
        ) from None
    return SummaryWriter


def _check_freq(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"TensorBoard: expected {name} to be a non-negative integer, "
            f"received {name}={value!r}"
        )
    return int(value)


def _check_update_freq(update_freq):
    if update_freq == "epoch":
        return "epoch"
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, bool) or not isinstance(update_freq, numbers.Integral) or (
            update_freq < 1):
        raise ValueError(
            "TensorBoard: expected update_freq 'epoch', 'batch' or a positive integer, "
            f"received update_freq={update_freq!r}"
        )
    return int(update_freq)


def _profile_range(profile_batch) -> tuple:
    """``(start, stop)`` of the batches to profile; ``(0, 0)`` for none."""
    message = (
        "TensorBoard: expected profile_batch to be a non-negative integer or a pair of "
        f"positive integers (start, stop) with start <= stop, received {profile_batch!r}"
    )
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        start, stop = int(value[0]), int(value[1])
        if start < 1:
            raise ValueError(message)
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _scalars(logs) -> dict:
    """The log values that are numbers, as Python floats."""
    result = {}
    for name, value in (logs or {}).items():
        if isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.size == 1):
            result[name] = float(value)
    return result


def _numpy(weight) -> np.ndarray:
    return weight.numpy() if hasattr(weight, "numpy") else np.asarray(weight)


def _weight_images(values: np.ndarray):
    """A weight as images ``(n, height, width, 1)`` scaled to [0, 1], as Keras shows them:
    a vector as one row, a matrix as one image (wider than tall), a 3-D kernel after
    squeezing (a convolution with one input channel) as one image per filter. Other shapes
    have no image (``None``)."""
    w = np.squeeze(values).astype(np.float64)
    if w.ndim == 1:
        w = w[None, None, :]
    elif w.ndim == 2:
        w = (w.T if w.shape[0] > w.shape[1] else w)[None]
    elif w.ndim == 3:
        w = np.moveaxis(w, -1, 0)
    else:
        return None
    low, high = w.min(), w.max()
    scaled = (w - low) / (high - low) if high > low else np.zeros_like(w)
    return scaled[..., None]


def _graph_def(nodes: list):
    """A TensorBoard ``GraphDef`` with one node per layer (op: the layer's class)."""
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef

    node_defs = []
    for node in nodes:
        shapes = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=-1 if d is None else d)
                                        for d in shape])
                  for shape in node.output_shapes]
        node_defs.append(NodeDef(
            name=node.layer.name, op=type(node.layer).__name__, input=node.inbound,
            attr={"_output_shapes": AttrValue(list=AttrValue.ListValue(shape=shapes))},
        ))
    return GraphDef(node=node_defs, versions=VersionDef(producer=22))


def _layer_before_output(model, nodes: dict) -> str:
    """The name of the layer that feeds the (first) output layer."""
    output_layer = model.outputs[0].node.layer.name
    inbound = nodes[output_layer].inbound
    candidates = [name for name in inbound
                  if type(nodes[name].layer).__name__ != "InputLayer"]
    if not candidates:
        raise ValueError(
            f"TensorBoard: model '{model.name}' has no layer before its output layer "
            f"'{output_layer}' to embed; pass embeddings_layer_names"
        )
    return candidates[0]


def _read_labels(path, log_dir: str, rows: int) -> list:
    """Labels from a file of one label per line (found as given or inside ``log_dir``);
    with ``rows + 1`` lines, the first is a header and skipped."""
    path = os.fspath(path)
    if not os.path.exists(path):
        path = os.path.join(log_dir, path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"TensorBoard: embeddings_metadata file '{path}' not found (looked as given and "
            f"inside log_dir '{log_dir}')"
        )
    with open(path, encoding="utf8") as f:
        labels = f.read().splitlines()
    return labels[1:] if len(labels) == rows + 1 else labels
