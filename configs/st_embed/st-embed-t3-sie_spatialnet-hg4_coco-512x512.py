# ST-Embed Table 3 row "SIE": stage 1 with spatial instance embeddings only (grouping on
# SIE = p - SVF(p); no KE, no ordinal auxiliary task).
_base_ = ['./st-embed-s1_spatialnet-hg4_coco-512x512.py']
model = dict(head=dict(use_ke=False, use_aux=False))
