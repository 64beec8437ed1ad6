# ST-Embed stage 2 = Table 3 row "Ours" (KE+SIE+aux+PGG): stage 1 fine-tuned with Pose-Guided
# Grouping (grouping loss on every PGG iteration, PGG before decoding) on the mixture of COCO and
# PoseTrack18 (supplementary Sec. 2.1: 40 epochs, lr 1e-5, L_PGG weight 1e-4, R = 1).
_base_ = ['./st-embed-s1_spatialnet-hg4_coco-512x512.py']

load_from = 'work_dirs/st-embed-s1_spatialnet-hg4_coco-512x512/iter_300000.pth'

train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=40, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=1e-5))
param_scheduler = [dict(type='ConstantLR', factor=1.0, begin=0, end=40, by_epoch=True)]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=10))
log_processor = dict(by_epoch=True)

train_dataloader = dict(dataset=_base_.mixture_train_set)
model = dict(head=dict(with_pgg=True))
