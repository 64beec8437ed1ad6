# Runtime shared by every mmpose_track config (MMPose 1.x defaults + our plugin import).
default_scope = 'mmpose'
custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PoseTrackVisualizationHook', enable=False),
)
# RandomStateHook makes resumed runs end with the same weights as uninterrupted ones.
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='RandomStateHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py switch to gloo when CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='PoseTrackLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None)

backend_args = dict(backend='local')
train_cfg = dict(by_epoch=True)
val_cfg = dict()
test_cfg = dict()
