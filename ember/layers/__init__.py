"""Layers, named and configured as in ``keras.layers``."""

import inspect as _inspect

from ember.layers.activation import ELU, PReLU, ReLU, LeakyReLU, Softmax, Swish
from ember.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution1DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from ember.layers.image_reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from ember.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from ember.layers.regularization import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from ember.layers.core import Activation, Dense, Identity, Input, InputLayer, Lambda
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from ember.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from ember.layers.embedding import Embedding, Masking
from ember.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from ember.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
)
from ember.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from ember.saving.object_registration import Registry as _Registry

_REGISTRY = _Registry("layer")
for _name, _obj in list(globals().items()):
    if _inspect.isclass(_obj) and issubclass(_obj, Layer):
        _REGISTRY.add(_name, _obj)


def serialize(layer) -> dict:
    """``{"class_name", "config"}`` of a layer."""
    return _REGISTRY.serialize(layer)


def deserialize(config: dict, custom_objects=None) -> Layer:
    """A layer (or model) rebuilt from its ``serialize`` dict."""
    _register_models()
    return _REGISTRY.deserialize(config, custom_objects)


def _register_models() -> None:
    from ember.models import Functional, Model, Sequential

    for cls in (Functional, Model, Sequential):
        _REGISTRY.add(cls.__name__, cls)


def register(cls):
    """Make a layer class known by name to ``deserialize`` (ember's own families)."""
    _REGISTRY.add(cls.__name__, cls)
    return cls
