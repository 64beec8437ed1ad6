# OGN (Zhang et al. 2019) Table 1 (h): (d) with input 512x384, no GBG.
_base_ = ['./ogn-t1d_res50-s16_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

codec = dict(type='OffsetHeatmap', input_size=(384, 512), heatmap_size=(24, 32), radius=1.5,
             use_offset=True, blur_kernel=3)
model = dict(head=dict(decoder=codec))
# the parent's pipelines with this row's codec (crop size and target encoder)
train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
