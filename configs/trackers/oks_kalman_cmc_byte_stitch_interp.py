# + gap filling: the frames a (stitched) track missed, up to 5 in a row, get its joints linearly
# interpolated between the two observations around the gap, scores halved (MMDet's
# InterpolateTracklets for joints).
_base_ = ['./oks_kalman_cmc_byte_stitch.py']
tracker = dict(interpolate=dict(max_gap=5, score_factor=0.5))
