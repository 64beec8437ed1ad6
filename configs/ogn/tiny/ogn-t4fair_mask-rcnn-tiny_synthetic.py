# Tiny CPU version of ogn-t4fair_mask-rcnn-r101-softmax_posetrack18.py (OGN Table 4 row FAIR) on
# the synthetic PoseTrack18 set: the tiny person detector (configs/_base_/tiny/) with a 2-conv
# 64-channel keypoint head on 8x8 RoIs (32x32 heatmaps), trained from scratch in minutes.
_base_ = ['../ogn-t4fair_mask-rcnn-r101-softmax_posetrack18.py',
          '../../_base_/tiny/person_detector_synthetic.py']
from mmpose_track.utils.config_utils import set_transform_args  # noqa: E402

data_root = _base_.tiny_data_root
load_from = None
keypoint_roi_size = (8, 8)
model = _base_.tiny_detector_model
model.update(roi_head=dict(
    _base_.tiny_detector_model['roi_head'],
    keypoint_roi_extractor=dict(roi_layer=dict(output_size=keypoint_roi_size), out_channels=64,
                                featmap_strides=[8, 16, 32]),
    keypoint_head=dict(in_channels=64, roi_feat_size=keypoint_roi_size, num_convs=2,
                       conv_out_channels=64, radius=2.0)))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=_base_.tiny_max_epochs, val_interval=12)
optim_wrapper = _base_.tiny_optim_wrapper
param_scheduler = _base_.tiny_param_scheduler
randomness = dict(seed=0)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=2))

# the full row's pipelines at the tiny image scale
train_pipeline = set_transform_args(_base_.train_pipeline,
                                    Resize=dict(scale=_base_.tiny_img_scale))
test_pipeline = set_transform_args(_base_.test_pipeline, Resize=dict(scale=_base_.tiny_img_scale))
train_dataloader = dict(**_base_.tiny_dataloader,
                        dataset=dict(_base_.tiny_dataset, pipeline=train_pipeline))
val_dataloader = dict(**_base_.tiny_dataloader,
                      dataset=dict(_base_.tiny_dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + _base_.val_gt_dir)
test_evaluator = val_evaluator
