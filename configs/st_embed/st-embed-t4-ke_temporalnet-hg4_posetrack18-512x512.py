# ST-Embed Table 4 baseline "KE": the stage 3 model's people tracked by
# SpatialNet's keypoint embeddings assumed smooth in time (configs/trackers/st_embed_ke.py).
_base_ = ['./st-embed-s3_temporalnet-hg4_posetrack18-512x512.py']
# a test-time variant: the stage 3 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/st-embed-s3_temporalnet-hg4_posetrack18-512x512/epoch_40.pth'
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_ke.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_ke.py')
