"""Callbacks: code that watches and steers ``fit``, as ``keras.callbacks``."""

from ember.callbacks.backup_and_restore import BackupAndRestore
from ember.callbacks.callback import Callback, LambdaCallback
from ember.callbacks.callback_list import CallbackList
from ember.callbacks.csv_logger import CSVLogger
from ember.callbacks.history import History
from ember.callbacks.learning_rate import LearningRateScheduler, NewBob, ReduceLROnPlateau
from ember.callbacks.model_checkpoint import ModelCheckpoint
from ember.callbacks.progbar_logger import ProgbarLogger
from ember.callbacks.stopping import EarlyStopping, TerminateOnNaN
from ember.callbacks.tensorboard import TensorBoard

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "NewBob",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
