# ST-Embed Table 3 row "KE+PGG": the "KE" row of stage 1 fine-tuned with PGG (on KE alone).
_base_ = ['./st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py']
load_from = 'work_dirs/st-embed-t3-ke_spatialnet-hg4_coco-512x512/iter_300000.pth'
model = dict(head=dict(use_sie=False, use_aux=False))
