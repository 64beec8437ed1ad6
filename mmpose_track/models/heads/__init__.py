from .ogn_head import OGNHead, flip_back_ogn_outputs  # noqa: F401
