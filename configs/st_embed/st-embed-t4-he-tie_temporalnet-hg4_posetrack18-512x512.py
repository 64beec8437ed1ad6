# ST-Embed Table 4 row "HE+TIE": the stage 3 model and tracker (Psi = 3 Psi_HE + Psi_TIE) with
# TIE read straight from the temporal vector fields, not refined by PGG ("Ours" adds PGG).
_base_ = ['./st-embed-s3_temporalnet-hg4_posetrack18-512x512.py']
# a test-time variant: the stage 3 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/st-embed-s3_temporalnet-hg4_posetrack18-512x512/epoch_40.pth'
model = dict(test_cfg=dict(tie_pgg=False))
