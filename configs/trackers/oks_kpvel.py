# OKS-Hungarian with a constant-velocity model per joint (velocities smoothed with momentum 0.5):
# each live track is scored at its joints' predicted positions.
_base_ = ['./oks_hungarian.py']
tracker = dict(memory=dict(motion=dict(type='KeypointVelocityMotion', momentum=0.5)))
