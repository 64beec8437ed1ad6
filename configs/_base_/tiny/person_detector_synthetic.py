# Parts of the tiny CPU person detectors on the embedded synthetic PoseTrack18 set
# (tools/dataset_converters/generate_synthetic_posetrack18.py, 320x240 frames), shared by
# configs/detectors/tiny/ and the tiny offset-guided Mask R-CNNs (configs/ogn/tiny/ogn-t4*).
# Not a runnable config: children list it after their full-size base and merge the parts, e.g.
#   _base_ = ['../faster-rcnn_r50_fpn_person_posetrack18.py', '../../_base_/tiny/person_detector_synthetic.py']
#   model = _base_.tiny_detector_model
tiny_data_root = 'data/synthetic_posetrack18/'
tiny_img_scale = (320, 240)
# the datasets' data root; the synthetic set is written there when missing (seconds; the set
# tools/quickstart.sh generates), so the tiny configs work from any folder
tiny_dataset = dict(data_root=tiny_data_root, generate_if_missing=dict(seed=0))

# ResNet-18 with 16 base channels, 64-channel FPN from stride 8, trained from scratch in minutes
tiny_detector_model = dict(
    backbone=dict(depth=18, base_channels=16, stem_channels=16, frozen_stages=-1,
                  norm_eval=False, init_cfg=None),
    # no stride-4 level (people here are >= ~30 px): strides 8-64, 4x fewer positions
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64, start_level=1, num_outs=4),
    rpn_head=dict(in_channels=64, feat_channels=64,
                  anchor_generator=dict(scales=[8], ratios=[1.0, 2.0, 3.0],  # standing people
                                        strides=[8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64, featmap_strides=[8, 16, 32]),
        bbox_head=dict(in_channels=64, fc_out_channels=256)),
    train_cfg=dict(rpn=dict(sampler=dict(num=128)),
                   rpn_proposal=dict(nms_pre=1000, max_per_img=500),
                   rcnn=dict(sampler=dict(num=128))))

tiny_max_epochs = 12
tiny_optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
tiny_param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9, 11], gamma=0.1),
]
tiny_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False)
