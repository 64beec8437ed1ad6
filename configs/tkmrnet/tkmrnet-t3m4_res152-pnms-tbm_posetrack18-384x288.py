# TKMRNet Table 3 M4: M5 with TBM, one matching feature per person (the matching head's 'body'
# mode) instead of one per keypoint; a stage 2 of its own (from the same stage 1).
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

model = dict(matching_head=dict(mode='body'))
# Eq. 5 then sums one G instead of K = 17 terms: the match threshold is the TKM one / 17 (~0.3)
_tbm_tracker = dict(
    _delete_=True,
    type='PoseTracker',
    similarity=dict(type='KeypointMatchingSimilarity', iou_thr=0.1),
    assigner=dict(type='HungarianAssigner', match_thr=5.0 / 17),
    memory=dict(type='TrackMemory', num_frames_retain=5),  # as the TKM tracker
    reactivate=True,
    cascade=True,
    min_track_length=1,
    joint_score_thr=0.0)
val_cfg = dict(tracker=_tbm_tracker)
test_cfg = dict(tracker=_tbm_tracker)
