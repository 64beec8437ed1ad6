# OGN (Zhang et al. 2019) Table 1 (d): OGN with ONE deconv: stride 16 (R = 1.5 heatmap px = 24 input px), no GBG.
_base_ = ['./ogn_res50_posetrack18-256x192.py']

codec = dict(type='OffsetHeatmap', input_size=(192, 256), heatmap_size=(12, 16), radius=1.5,
             use_offset=True, blur_kernel=3)
model = dict(head=dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(4, ), decoder=codec))
# the parent's pipelines with this row's codec (crop size and target encoder)
train_pipeline = [dict(t, input_size=codec['input_size']) if t['type'] == 'TopdownAffine' else
                  dict(t, encoder=codec) if t['type'] == 'GenerateTarget' else t
                  for t in _base_.train_pipeline]
val_pipeline = [dict(t, input_size=codec['input_size']) if t['type'] == 'TopdownAffine' else t
                for t in _base_.val_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
