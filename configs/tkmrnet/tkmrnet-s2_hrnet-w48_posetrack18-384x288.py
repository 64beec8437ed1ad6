# TKMRNet stage 2 on HRNet-W48 = Table 4 row N4 (PoseTrack18: pNMS, TKM, no refinement at test).
# The ResNet-152 stage 2 with the HRNet-W48 stage-1 network: the stride-4 HRNet map needs no
# upsampling in the matching module (num_deconvs=0) nor in the refinement module.
# Person boxes: Table 4's detector, Faster R-CNN ResNeXt-101 + DCN
# (configs/detectors/faster-rcnn_x101-32x4d-dconv-c3-c5_fpn_person_posetrack18.py).
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

load_from = 'work_dirs/tkmrnet-s1_hrnet-w48_posetrack18-384x288/epoch_20.pth'
val_det_file = 'annotations/posetrack18_val_faster-rcnn-x101-dcn_human_detections.json'
val_dataloader = dict(dataset=dict(bbox_file=_base_.data_root + val_det_file))
test_dataloader = val_dataloader

model = dict(
    backbone=dict(
        _delete_=True,
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(48, 96)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(48, 96, 192)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(48, 96, 192, 384)))),
    head=dict(in_channels=48, deconv_out_channels=None),
    matching_head=dict(in_channels=48, num_deconvs=0),
    refine_head=dict(in_channels=48, deconv_out_channels=None, deconv_kernel_sizes=None))
