"""Person detector pieces registered into MMDet's registries: the GBG test option of the R-CNN
box head (OGN 3.1.1) and the PoseTrack18 person-detection dataset."""
from .gbg_bbox_head import GBGBBoxHeadMixin, GBGShared2FCBBoxHead, gbg_multiclass
from .posetrack18_det_dataset import PoseTrack18DetDataset

__all__ = ['GBGBBoxHeadMixin', 'GBGShared2FCBBoxHead', 'gbg_multiclass', 'PoseTrack18DetDataset']
