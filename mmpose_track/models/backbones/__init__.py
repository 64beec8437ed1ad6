from .hourglass_ae_stem import HourglassAENetWithStem  # noqa: F401
