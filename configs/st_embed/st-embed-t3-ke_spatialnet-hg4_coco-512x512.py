# ST-Embed Table 3 row "KE": stage 1 with keypoint embeddings only (AE grouping on KE; no SIE, no
# ordinal auxiliary task).
_base_ = ['./st-embed-s1_spatialnet-hg4_coco-512x512.py']
model = dict(head=dict(use_sie=False, use_aux=False))
