# ST-Embed Table 3 row "KE+SIE": stage 1 grouping on [KE, SIE] without the ordinal auxiliary task.
_base_ = ['./st-embed-s1_spatialnet-hg4_coco-512x512.py']
model = dict(head=dict(use_aux=False))
