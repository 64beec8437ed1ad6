"""Person detector pieces registered into MMDet's registries: the GBG test option of the R-CNN
box head (OGN 3.1.1) and the offset-guided Mask R-CNN's keypoint RoI head (OGN 3.2). The
PoseTrack18 person-detection dataset and the keypoint-carrying transforms live in
:mod:`mmpose_track.datasets`."""
from .gbg_bbox_head import GBGBBoxHeadMixin, GBGShared2FCBBoxHead, gbg_multiclass
from .ogn_keypoint_roi_head import (OGNKeypointHead, OGNKeypointRoIHead, boxes_to_heatmap_coords,
                                    extend_boxes_to_aspect, heatmap_coords_to_image)

__all__ = [
    'GBGBBoxHeadMixin', 'GBGShared2FCBBoxHead', 'gbg_multiclass', 'OGNKeypointHead',
    'OGNKeypointRoIHead', 'extend_boxes_to_aspect', 'boxes_to_heatmap_coords',
    'heatmap_coords_to_image'
]
