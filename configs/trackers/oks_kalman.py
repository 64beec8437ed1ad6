# OKS-Hungarian with motion (issue 13): each live track is scored at its position predicted by
# MMDet's Kalman filter on the pose box (SORT's model, batched over tracks; the joints follow the
# box), not at its last observation.
_base_ = ['./oks_hungarian.py']
tracker = dict(memory=dict(motion=dict(type='KalmanBoxMotion')))
