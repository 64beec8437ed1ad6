"""Registries of mmpose_track.

Models, datasets, transforms, metrics, hooks and loops register into the host registries of MMPose
(imported from ``mmpose.registry``; MMDet's for detector parts) so that configs use bare type names
under ``default_scope='mmpose'``. Pose trackers are not networks: they get a registry of their own,
built by :func:`mmpose_track.tracking.build_tracker`.
"""
from mmengine.registry import Registry

POSE_TRACKERS = Registry(
    'pose tracker', scope='mmpose_track', locations=['mmpose_track.tracking.trackers'])

__all__ = ['POSE_TRACKERS']
