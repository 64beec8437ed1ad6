"""Helpers that configs call to derive a pipeline from their parent's (no torch, no registry).

An ablation row changes one thing of its parent config (the codec, the image scale, a detection
file) that several transforms of the parent's pipelines repeat. MMEngine resolves a base config's
values before the child sees them, so the child re-derives the pipelines; these functions do it
in one line (MMPose's ``mmpose.utils.adapt_mmdet_pipeline`` is the same kind of helper)::

    _base_ = ['./ogn_res50_posetrack18-256x192.py']  # first statement of the config
    from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

    codec = dict(type='OffsetHeatmap', input_size=(192, 256), heatmap_size=(12, 16), ...)
    train_pipeline, val_pipeline = codec_pipelines(_base_, codec)

The import must come after ``_base_ = ...``: MMEngine treats a config whose first import of a
non-builtin module precedes ``_base_`` as a new-style (lazy-import) config. Imported names are
not part of the resolved config (MMEngine drops functions and modules).
"""
from typing import Any, Dict, List, Mapping, Sequence, Tuple

__all__ = ['set_transform_args', 'codec_pipelines']


def set_transform_args(pipeline: Sequence[Mapping[str, Any]],
                       **args_by_type: Mapping[str, Any]) -> List[Any]:
    """A copy of ``pipeline`` where each transform whose ``type`` is a keyword gets that
    keyword's arguments (added, or replacing the transform's own); other transforms are kept as
    they are (the same objects).

    Example: ``set_transform_args(_base_.test_pipeline, Resize=dict(scale=(320, 240)))``.

    Args:
        pipeline: transform configs (dicts with ``type``).
        **args_by_type: ``TransformType=dict(arg=value, ...)``.

    Returns:
        The new list of transform configs (``dict(t, **args)`` for the changed ones).
    """
    return [dict(t, **args_by_type[t['type']]) if t['type'] in args_by_type else t
            for t in pipeline]


def codec_pipelines(base: Mapping[str, Any], codec: Dict[str, Any],
                    **train_args_by_type: Mapping[str, Any]) -> Tuple[List[Any], List[Any]]:
    """The parent's ``train_pipeline`` and ``val_pipeline`` with another top-down ``codec``.

    ``TopdownAffine`` takes the codec's ``input_size`` (the crop), ``GenerateTarget`` the codec
    as ``encoder`` (training only); ``train_args_by_type`` sets further transform arguments of
    the training pipeline (e.g. ``MixDetectedBoxes=dict(bbox_file=...)``).

    Args:
        base: the parent config (``_base_`` in a config), with ``train_pipeline`` and
            ``val_pipeline``.
        codec: the row's codec config (with ``input_size``).
        **train_args_by_type: more arguments for the training pipeline, see
            :func:`set_transform_args`.

    Returns:
        ``(train_pipeline, val_pipeline)``.
    """
    crop = dict(input_size=codec['input_size'])
    train = set_transform_args(base['train_pipeline'], TopdownAffine=crop,
                               GenerateTarget=dict(encoder=codec), **train_args_by_type)
    val = set_transform_args(base['val_pipeline'], TopdownAffine=crop)
    return train, val
