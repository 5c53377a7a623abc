"""Convolution layers (Keras 3 names and aliases), channels-last."""

from ember.layers.convolutional.conv import BaseConv, Conv1D, Conv2D, Conv3D
from ember.layers.convolutional.conv_transpose import (
    BaseConvTranspose,
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from ember.layers.convolutional.depthwise import (
    BaseDepthwiseConv,
    BaseSeparableConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
