# Fig. 5b: keyframes every S = 4 frames (the detector and the 3D HRNet run on 1/4 of the
# frames); the full model's checkpoint, test only.
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
val_dataloader = dict(dataset=dict(keyframe_step=4))
test_dataloader = val_dataloader
