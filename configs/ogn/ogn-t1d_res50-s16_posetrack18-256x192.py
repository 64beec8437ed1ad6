# OGN (Zhang et al. 2019) Table 1 (d): OGN with ONE deconv: stride 16 (R = 1.5 heatmap px = 24 input px), no GBG.
_base_ = ['./ogn_res50_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

codec = dict(type='OffsetHeatmap', input_size=(192, 256), heatmap_size=(12, 16), radius=1.5,
             use_offset=True, blur_kernel=3)
model = dict(head=dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(4, ), decoder=codec))
# the parent's pipelines with this row's codec (crop size and target encoder)
train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
