# OGN (Zhang et al. 2019) Table 1 (e): (d) with input 352x256 and GBG.
_base_ = ['./ogn-t1d_res50-s16_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

codec = dict(type='OffsetHeatmap', input_size=(256, 352), heatmap_size=(16, 22), radius=1.5,
             use_offset=True, blur_kernel=3)
model = dict(head=dict(decoder=codec))
# the parent's pipelines with this row's codec (crop size and target encoder)
train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
# GBG (Sec. 3.1.1): test boxes from greedy box generation instead of NMS. The file is written with
# the detector configs (configs/detectors/, the person-detector work of issue 5).
val_det_file = 'annotations/posetrack18_val_human_detections_gbg.json'
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(bbox_file=_base_.data_root + val_det_file, pipeline=val_pipeline))
test_dataloader = val_dataloader
