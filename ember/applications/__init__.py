"""Model builders for classic convolutional networks, named and shaped like
``keras.applications`` (``include_top``, ``pooling``, ``classifier_activation``), sized for
small images such as MNIST and CIFAR-10. Each returns a functional ``ember.Model`` with
random weights (``weights`` must be None: no pretrained weights ship with ember).

Example:
    >>> import ember
    >>> model = ember.applications.ResNet(20, input_shape=(28, 28, 1), width=0.5)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
"""

from ember.applications.googlenet import GoogLeNet
from ember.applications.lenet import LeNet5
from ember.applications.resnet import ResNet
from ember.applications.senet import SENet
from ember.applications.vgg import VGG
