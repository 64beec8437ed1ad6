# Tiny CPU version of the person detector on the embedded synthetic PoseTrack18 set
# (tools/dataset_converters/generate_synthetic_posetrack18.py, 320x240 frames): ResNet-18 with 16
# base channels, 64-channel FPN from stride 8, trained from scratch in minutes on 2 cores
# (the shared tiny parts: configs/_base_/tiny/person_detector_synthetic.py).
#   python tools/train.py configs/detectors/tiny/faster-rcnn_tiny_person_synthetic.py
#   mim train mmpose_track configs/detectors/tiny/faster-rcnn_tiny_person_synthetic.py
_base_ = ['../faster-rcnn_r50_fpn_person_posetrack18.py',
          '../../_base_/tiny/person_detector_synthetic.py']

data_root = _base_.tiny_data_root
load_from = None  # from scratch
model = _base_.tiny_detector_model

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=_base_.tiny_max_epochs, val_interval=4)
optim_wrapper = _base_.tiny_optim_wrapper
param_scheduler = _base_.tiny_param_scheduler
randomness = dict(seed=0)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=4, max_keep_ckpts=2))

# the full config's pipelines at the tiny image scale
train_pipeline = [dict(t, scale=_base_.tiny_img_scale) if t['type'] == 'Resize' else t
                  for t in _base_.train_pipeline]
test_pipeline = [dict(t, scale=_base_.tiny_img_scale) if t['type'] == 'Resize' else t
                 for t in _base_.test_pipeline]
train_dataloader = dict(
    **_base_.tiny_dataloader,
    dataset=dict(data_root=data_root, generate_if_missing=dict(seed=0), pipeline=train_pipeline))
val_dataloader = dict(
    **_base_.tiny_dataloader,
    dataset=dict(data_root=data_root, generate_if_missing=dict(seed=0), pipeline=test_pipeline))
test_dataloader = val_dataloader
