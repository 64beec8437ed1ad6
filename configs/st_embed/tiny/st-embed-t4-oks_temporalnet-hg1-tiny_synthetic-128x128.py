# Tiny CPU version of st-embed-t4-oks_temporalnet-hg4_posetrack18-512x512.py
# (ST-Embed Table 4 row "OKS"; tracker / TIE switch from the full row): the tiny stage-3 parts
# over the full row (same lines as st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128.py).
_base_ = ['../st-embed-t4-oks_temporalnet-hg4_posetrack18-512x512.py',
          '../../_base_/tiny/st_embed_synthetic.py']
from mmpose_track.utils.config_utils import set_transform_args  # noqa: E402

# a test-time variant: the tiny stage 3 weights
load_from = ('work_dirs/st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128/'
             + _base_.tiny_s3_checkpoint)

model = _base_.tiny_temporalnet_model
train_cfg = _base_.tiny_s3_train_cfg
param_scheduler = _base_.tiny_s3_param_scheduler
optim_wrapper = _base_.tiny_s3_optim_wrapper
default_hooks = _base_.tiny_s3_default_hooks
randomness = dict(seed=0)

# the full pair pipeline at the tiny input size and codec (inside ApplyToFrames too)
train_dataloader = dict(**_base_.tiny_pair_loader, dataset=dict(
    _base_.tiny_pair_set, pipeline=set_transform_args(
        _base_.pair_train_pipeline,
        ApplyToFrames=dict(transforms=set_transform_args(_base_.frame_train_transforms,
                                                         **_base_.tiny_train_args)),
        GenerateTemporalTarget=dict(encoder=_base_.tiny_codec))))
val_dataloader = dict(**_base_.tiny_val_loader, dataset=dict(
    _base_.tiny_val_set,
    pipeline=set_transform_args(_base_.val_pipeline, **_base_.tiny_val_args)))
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
