# OGN (Zhang et al. 2019) Table 1 (a): MSRA SimpleBaseline (Gaussian heatmaps, MSE, no offset) with ONE deconv: stride 16.
_base_ = ['./ogn_res50_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(12, 16), sigma=2)
model = dict(head=dict(
    _delete_=True, type='HeatmapHead', in_channels=2048, out_channels=17,
    deconv_out_channels=(256, ), deconv_kernel_sizes=(4, ),
    loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec))
# the parent's pipelines with this row's codec (crop size and target encoder)
train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
codec = dict(_delete_=True, **codec)  # replace (not merge into) the base's OffsetHeatmap
