# ST-Embed Table 3 row "SIE+PGG": the "SIE" row of stage 1 fine-tuned with PGG (on SIE alone).
_base_ = ['./st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py']
load_from = 'work_dirs/st-embed-t3-sie_spatialnet-hg4_coco-512x512/iter_300000.pth'
model = dict(head=dict(use_ke=False, use_aux=False))
