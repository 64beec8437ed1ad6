from . import datasets, samplers, transforms  # noqa: F401
