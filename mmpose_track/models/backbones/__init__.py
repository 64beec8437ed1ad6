from .hourglass_ae_stem import HourglassAENetWithStem  # noqa: F401
from .hrnet3d import HRNet3D, TemporalConv2d, inflate_conv2d_weight  # noqa: F401
