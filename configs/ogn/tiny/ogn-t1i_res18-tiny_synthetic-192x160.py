# Tiny CPU version of ogn-t1i_res50-s8-gbg_posetrack18-384x288.py (OGN Table 1 row i): ResNet-18 with 32 base
# channels, input 192x160, the synthetic PoseTrack18 set (tools/dataset_converters/generate_synthetic_posetrack18.py).
_base_ = ['../ogn-t1i_res50-s8-gbg_posetrack18-384x288.py', '../../_base_/tiny/ogn_synthetic.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

data_root = _base_.tiny_data_root
codec = dict(type='OffsetHeatmap', input_size=(160, 192), heatmap_size=(20, 24),
             radius=3.0, use_offset=True, blur_kernel=5)
model = dict(
    backbone=dict(_base_.tiny_backbone, depth=18),
    head=dict(in_channels=256, deconv_out_channels=(128, 128), deconv_kernel_sizes=(4, 4), decoder=codec),
    test_cfg=dict(flip_test=False))

train_cfg = _base_.tiny_train_cfg
param_scheduler = _base_.tiny_param_scheduler
optim_wrapper = _base_.tiny_optim_wrapper
default_hooks = _base_.tiny_default_hooks
randomness = dict(seed=0)

# the full row's pipelines with the tiny codec and the synthetic set's detections
train_pipeline, val_pipeline = codec_pipelines(
    _base_, codec, MixDetectedBoxes=dict(bbox_file=_base_.tiny_train_det_file))
train_dataloader = dict(**_base_.tiny_loader,
                        dataset=dict(_base_.tiny_dataset, pipeline=train_pipeline))
val_dataloader = dict(**_base_.tiny_loader,
                      dataset=dict(_base_.tiny_dataset, bbox_file=_base_.tiny_val_det_file,
                                   pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + 'annotations/val/')
test_evaluator = val_evaluator
