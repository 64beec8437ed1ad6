# Tiny CPU version of st-embed-t3-sie_spatialnet-hg4_coco-512x512.py
# (ST-Embed Table 3 row "SIE": SIE only): the tiny stage-1 parts over the full row, whose
# head switches it keeps (same lines as st-embed-s1_spatialnet-hg1-tiny_synthetic-128x128.py).
_base_ = ['../st-embed-t3-sie_spatialnet-hg4_coco-512x512.py',
          '../../_base_/tiny/st_embed_synthetic.py']
from mmpose_track.utils.config_utils import set_transform_args  # noqa: E402

model = _base_.tiny_spatialnet_model
train_cfg = _base_.tiny_s1_train_cfg
param_scheduler = _base_.tiny_s1_param_scheduler
optim_wrapper = _base_.tiny_s1_optim_wrapper
default_hooks = _base_.tiny_s1_default_hooks
randomness = dict(seed=0)

# the full pipelines at the tiny input size and codec
train_dataloader = dict(**_base_.tiny_loader, dataset=dict(
    _base_.tiny_train_set,
    pipeline=set_transform_args(_base_.train_pipeline, **_base_.tiny_train_args)))
val_dataloader = dict(**_base_.tiny_val_loader, dataset=dict(
    _base_.tiny_val_set,
    pipeline=set_transform_args(_base_.val_pipeline, **_base_.tiny_val_args)))
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
