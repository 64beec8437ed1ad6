# ST-Embed Table 4 row "TIE": temporal instance embeddings only, without PGG (Psi = Psi_TIE,
# configs/trackers/st_embed_tie.py).
_base_ = ['./st-embed-t4-he-tie_temporalnet-hg4_posetrack18-512x512.py']
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_tie.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed_tie.py')
