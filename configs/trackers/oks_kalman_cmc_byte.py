# + ByteTrack's two-stage association: poses scored >= 0.6 (mean joint score) are matched first,
# the others only to the tracks of the previous frame left unmatched.
_base_ = ['./oks_kalman_cmc.py']
tracker = dict(score_thrs=dict(high=0.6))
