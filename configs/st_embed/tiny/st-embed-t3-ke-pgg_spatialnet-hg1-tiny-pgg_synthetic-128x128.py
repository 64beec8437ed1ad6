# Tiny CPU version of st-embed-t3-ke-pgg_spatialnet-hg4-pgg_coco-posetrack18-512x512.py
# (ST-Embed Table 3 row "KE+PGG": the tiny "KE" row fine-tuned with PGG; switches: full row).
_base_ = ['../st-embed-t3-ke-pgg_spatialnet-hg4-pgg_coco-posetrack18-512x512.py',
          '../../_base_/tiny/st_embed_synthetic.py']
from mmpose_track.utils.config_utils import set_transform_args  # noqa: E402

load_from = ('work_dirs/st-embed-t3-ke_spatialnet-hg1-tiny_synthetic-128x128/'
             + _base_.tiny_s1_checkpoint)

model = _base_.tiny_spatialnet_model
train_cfg = _base_.tiny_s2_train_cfg
param_scheduler = _base_.tiny_s2_param_scheduler
optim_wrapper = _base_.tiny_s2_optim_wrapper
default_hooks = _base_.tiny_s2_default_hooks
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
