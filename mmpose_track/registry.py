"""Registries of mmpose_track.

Models, datasets, transforms, metrics, hooks and loops register into the host registries of MMPose
(imported from ``mmpose.registry``; MMDet's for detector parts) so that configs use bare type names
under ``default_scope='mmpose'``. Pose trackers are not networks: they get registries of their own,
built by :func:`mmpose_track.tracking.build_tracker`:

* ``POSE_TRACKERS``: trackers (``PoseTracker`` and the papers' presets, ``OKSHungarianTracker``...);
* ``TRACKING_PARTS``: the parts a ``PoseTracker`` is built from (similarities, assigners, track
  memories), as MMDet's trackers build theirs from ``TASK_UTILS``.

``mmengine.registry`` imports neither torch nor mmpose, so importing this module stays light;
:func:`~mmpose_track.tracking.build_tracker` looks types up in ``module_dict`` (``Registry.get``
would create MMEngine's logger, which imports torch) so that building a tracker does not import
torch either.
"""
from mmengine.registry import Registry

POSE_TRACKERS = Registry(
    'pose tracker', scope='mmpose_track', locations=['mmpose_track.tracking.trackers'])
TRACKING_PARTS = Registry(
    'tracking part', scope='mmpose_track', locations=['mmpose_track.tracking.trackers'])

__all__ = ['POSE_TRACKERS', 'TRACKING_PARTS']
