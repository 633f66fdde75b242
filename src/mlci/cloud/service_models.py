"""botocore's bundled API models: the specification every service here is checked against."""

from __future__ import annotations

import functools

from botocore.loaders import Loader
from botocore.model import ServiceModel


@functools.cache
def _loader() -> Loader:
    return Loader()


@functools.cache
def service_model(name: str) -> ServiceModel:
    return ServiceModel(_loader().load_service_model(name, "service-2"), service_name=name)
