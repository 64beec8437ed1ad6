# oks_kalman_cmc.py with SORT's track lifecycle: a track seen in fewer than 3 frames (SORT's
# min_hits) is tentative and forgotten at its first missed frame.
_base_ = ['./oks_kalman_cmc.py']
tracker = dict(memory=dict(min_hits=3))
