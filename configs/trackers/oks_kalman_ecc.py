# oks_kalman_cmc.py with the camera motion measured on the frames (ECC, MMDet's
# CameraMotionCompensation, BoT-SORT's choice; affine, to follow zooms) instead of the poses;
# frames where ECC fails (a cut) fall back to the poses. Needs the frames:
# `tools/track.py ... --image-root DATA_ROOT`, or a test loop (it reads each sample's img_path).
_base_ = ['./oks_kalman_cmc.py']
tracker = dict(camera_motion=dict(source='image', image=dict(max_side=320,
                                                             warp_mode='cv2.MOTION_AFFINE',
                                                             min_corr=0.8)))
