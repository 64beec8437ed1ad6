# Parts of the tiny CPU versions of the two-stage OGN rows (configs/ogn/tiny/ogn-t1*) on the
# embedded synthetic PoseTrack18 set: schedule, loaders, ResNet width, data files. Not a runnable
# config: a tiny row lists it after its full row and merges the parts (`train_cfg =
# _base_.tiny_train_cfg`, ...); see docs/architecture.md, "Tiny configs that share parts".
tiny_data_root = 'data/synthetic_posetrack18/'
tiny_train_det_file = tiny_data_root + 'annotations/posetrack18_train_human_detections.json'
tiny_val_det_file = tiny_data_root + 'annotations/posetrack18_val_human_detections.json'
# the datasets' data root; the synthetic set is written there when missing (seconds; the set
# tools/quickstart.sh generates), so the tiny configs work from any folder
tiny_dataset = dict(data_root=tiny_data_root, generate_if_missing=dict(seed=0))

# ResNet with 32 base channels (the depth is the row's), trained from scratch
tiny_backbone = dict(stem_channels=32, base_channels=32, init_cfg=None)

tiny_train_cfg = dict(max_epochs=12, val_interval=12)
tiny_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=12, milestones=[9], gamma=0.1, by_epoch=True),
]
tiny_optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adam', lr=2e-3))
tiny_default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=2))
tiny_loader = dict(batch_size=32, num_workers=0, persistent_workers=False)
