from .multi_frame_preprocessor import MultiFramePoseDataPreprocessor  # noqa: F401
