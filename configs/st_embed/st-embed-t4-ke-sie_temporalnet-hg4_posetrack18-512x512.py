# ST-Embed Table 4 baseline "KE+SIE": the stage 3 model's people tracked by
# KE and SIE assumed smooth in time (configs/trackers/st_embed_ke_sie.py).
_base_ = ['./st-embed-s3_temporalnet-hg4_posetrack18-512x512.py']
# a test-time variant: the stage 3 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/st-embed-s3_temporalnet-hg4_posetrack18-512x512/epoch_40.pth'
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_ke_sie.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_ke_sie.py')
