"""mlci: continuous training and delivery for many-model repositories, on one machine."""

__version__ = "0.1.0"
