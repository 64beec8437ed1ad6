# Fig. 5a: clip length T = 3 (trained and tested; T = 1 is the 2D row, clip-s1_*, T = 9 the full
# model, clip-s2_*).
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
train_dataloader = dict(dataset=dict(clip_len=3))
val_dataloader = dict(dataset=dict(clip_len=3))
test_dataloader = val_dataloader
