"""Person detector pieces registered into MMDet's registries: the GBG test option of the R-CNN
box head (OGN 3.1.1), the PoseTrack18 person-detection dataset, and the offset-guided Mask R-CNN
(OGN 3.2): its keypoint RoI head and the transforms that carry keypoints through MMDet's
pipelines."""
from .gbg_bbox_head import GBGBBoxHeadMixin, GBGShared2FCBBoxHead, gbg_multiclass
from .keypoint_transforms import (LoadAnnotationsWithKeypoints, PackDetPoseInputs, WarpKeypoints,
                                  warp_keypoints)
from .ogn_keypoint_roi_head import (OGNKeypointHead, OGNKeypointRoIHead, boxes_to_heatmap_coords,
                                    extend_boxes_to_aspect, heatmap_coords_to_image)
from .posetrack18_det_dataset import PoseTrack18DetDataset

__all__ = [
    'GBGBBoxHeadMixin', 'GBGShared2FCBBoxHead', 'gbg_multiclass', 'PoseTrack18DetDataset',
    'LoadAnnotationsWithKeypoints', 'WarpKeypoints', 'PackDetPoseInputs', 'warp_keypoints',
    'OGNKeypointHead', 'OGNKeypointRoIHead', 'extend_boxes_to_aspect', 'boxes_to_heatmap_coords',
    'heatmap_coords_to_image'
]
