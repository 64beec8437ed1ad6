# ST-Embed Table 4 row "HE": human embeddings only (Psi = 3 Psi_HE,
# configs/trackers/st_embed_he.py).
_base_ = ['./st-embed-t4-he-tie_temporalnet-hg4_posetrack18-512x512.py']
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_he.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_he.py')
