# TKMRNet stage 2 on ResNet-152 = Table 3 row M5 (pNMS, TKM similarity, no refinement at test time;
# the refinement module is trained here and applied by rows M7 / M8: test_cfg.refine).
# Loads stage 1, freezes backbone + keypoint head (BN in eval) and trains the temporal keypoint
# matching module (Sec. 3.2) and the refinement module (Sec. 3.3) on clips of 2 tau + 1 = 11
# frames (tau = 5) around each labeled person: SGD, 9 epochs, lr 1e-4, x0.1 at epoch 7 (Sec. 4.2).
# The Table 3 / Table 4 rows (tkmrnet-t3m*, tkmrnet-t4n*) are children of this file and of the
# HRNet stage 2s. Pairs of different ids come from the other clips of the same video in a
# batch (TKMRNet.loss, VideoBatchSampler); the paper gives no batch size.
# Person boxes at test time: Table 3 M1-M7's detector, Faster R-CNN R101-FPN + DCN
# (configs/detectors/faster-rcnn_r101-dconv-c3-c5_fpn_person_posetrack18.py), its val boxes written
# by `python tools/detect_people.py <detector config> <checkpoint> --out <val_det_file>`.
_base_ = ['./tkmrnet-s1_res152_posetrack18-384x288.py']

tau = 5
val_det_file = 'annotations/posetrack18_val_faster-rcnn-r101-dcn_human_detections.json'
load_from = 'work_dirs/tkmrnet-s1_res152_posetrack18-384x288/epoch_20.pth'

train_cfg = dict(max_epochs=9, val_interval=9)
# momentum / weight decay: not in the paper, the usual SGD values
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=1e-4, momentum=0.9,
                                    weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=9, milestones=[7], gamma=0.1, by_epoch=True)]

# Eq. 5 on the learned G_k: the model's pred_pairwise callables reach KeypointMatchingTracker;
# pNMS (Sec. 4.2, Fig. 6): same person when > 50 % of the joint pairs coincide
tkm_tracker = '{{ fileDirname }}/../trackers/keypoint_matching_retain5.py'
pnms = dict(type='pose', frac_thr=0.5, dist_ratio=0.1)
val_cfg = dict(tracker=tkm_tracker, nms=dict(_delete_=True, **pnms))
test_cfg = dict(tracker=tkm_tracker, nms=dict(_delete_=True, **pnms))

model = dict(
    type='TKMRNet',
    # clips (B, T, 3, H, W) in training, single person crops at test time
    data_preprocessor=dict(type='MultiFramePoseDataPreprocessor'),
    freeze_single_frame=True,
    matching_head=dict(
        type='KeypointMatchingHead',
        in_channels=2048,
        num_keypoints=17,
        feat_channels=256,   # four blocks of three 3x3 convs (256) + a x2 deconv
        num_blocks=4,
        num_convs=3,
        num_deconvs=3,       # ResNet C5 is stride 32: three x2 reach the heatmaps (stride 4)
        hidden_channels=256,  # G_k: fc 256-256-2 + softmax
        mode='keypoint'),    # TKM ('body': TBM)
    refine_head=dict(
        type='KeypointRefinementHead',  # the keypoint module's structure, init from it
        in_channels=2048,
        num_keypoints=17,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        tau=tau,
        num_candidates=16,   # n local maxima per joint
        sigma=3.0),          # Eq. 2 as written (exp(-d^2 / sigma^2))
    neg_per_pos=4)           # positives : negatives = 1 : 4 (Fig. 4)

# one person tube per sample; every frame cropped by the key box enlarged 1.25x (padding=1.0
# here), the same random flip / scale / rotation on every frame (ApplyToFrames); no half-body
# crop: its draws depend on each frame's visible joints
clip_frame_transforms = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),  # keypoint_weights: 0 off the heatmap
]
clip_train_pipeline = [
    dict(type='ApplyToFrames', transforms=clip_frame_transforms),
    dict(type='PackMultiFramePoseInputs', pack_transformed=True),
]
# batches of one video (VideoBatchSampler): the other people of a video in the batch give the
# matching module its negatives of different ids (Fig. 4)
train_dataloader = dict(
    batch_size=8,
    batch_sampler=dict(type='VideoBatchSampler'),
    dataset=dict(type='PoseTrack18ClipDataset', clip_len=2 * tau + 1, enlarge=1.25,
                 pipeline=clip_train_pipeline))
val_dataloader = dict(dataset=dict(bbox_file=_base_.data_root + val_det_file))
test_dataloader = val_dataloader
