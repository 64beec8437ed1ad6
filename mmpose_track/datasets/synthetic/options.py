"""Options and constants of the synthetic PoseTrack18 generator (keypoint names, skeleton,
categories, camera modes, scene constants)."""
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Tuple

from mmpose_track.structures.posetrack18_format import (NUM_KEYPOINTS, POSETRACK18_KEYPOINT_NAMES,
                                                          POSETRACK18_SKELETON)

#: PoseTrack18's keypoint names and skeleton (one definition: ``structures/posetrack18_format``)
KEYPOINT_NAMES = POSETRACK18_KEYPOINT_NAMES
SKELETON = POSETRACK18_SKELETON
POSETRACK18_CATEGORIES = [{
    'supercategory': 'person', 'id': 1, 'name': 'person', 'keypoints': list(KEYPOINT_NAMES),
    'skeleton': SKELETON
}]

# Cycled in this order over a split's videos (then shuffled), so small splits get cuts and pans.
CAMERA_MODES = ('shot_cut', 'pan', 'static', 'zoom', 'pan_zoom')

_NUM_JOINTS = NUM_KEYPOINTS
_EARS = (3, 4)
_FOCAL = 1.0  # focal length / image height
_HORIZON = 0.3  # horizon row / image height
_CAM_HEIGHT = 2.0  # metres
_DEPTH_RANGE = (3.0, 10.0)  # metres
_CYCLE_HZ = 0.9  # gait cycles per second at 1.3 m/s
_SHIFT = 4  # sub-pixel bits for cv2 drawing
_MAX_SCALE = (0.8, 1.6)  # camera zoom bounds
_MAX_PAN = (0.6, 0.15)  # camera translation bounds / (width, height)
_MARGIN = (1.0, 0.5)  # background canvas margin / (width, height)
_ANN_PER_FRAME = 100  # annotation id = image id * 100 + k
_SPLIT_RE = re.compile(r'^[A-Za-z0-9_-]+$')
_OWNED = ('images', 'videos', 'annotations', 'detections', 'meta.json')


@dataclass
class SyntheticPoseTrackOptions:
    """Options of the synthetic PoseTrack18 generator; the defaults give the embedded default set.

    ``num_videos`` is the number of videos of every split except ``'val'``, which gets
    ``num_val_videos``. A video has ``num_frames`` frames minus up to
    ``length_jitter * num_frames``.
    """
    seed: int = 0
    num_videos: int = 8
    num_val_videos: int = 4
    num_frames: int = 30
    length_jitter: float = 0.2
    max_people: int = 5
    width: int = 320
    height: int = 240
    splits: Tuple[str, ...] = ('train', 'val')
    label_every: int = 4
    dense_frames: int = 20
    fps: float = 15.0
    camera_modes: Tuple[str, ...] = CAMERA_MODES
    ignore_region_ratio: float = 0.35
    similar_pair_ratio: float = 0.5
    min_keypoints: int = 2
    det_miss_rate: float = 0.05
    det_false_positives: float = 0.5
    det_duplicate_rate: float = 0.08
    det_box_jitter: float = 0.05
    det_keypoint_jitter: float = 0.03
    jpeg_quality: int = 90
    write_video: bool = False
    camera_strength: float = 1.0
    shot_cuts: int = 1
    crossing_pairs: int = 1
    det_dropout: float = 0.0
    det_dropout_len: int = 3

    @classmethod
    def hard(cls, **overrides: Any) -> 'SyntheticPoseTrackOptions':
        """The ``hard`` preset (:data:`HARD_OPTIONS`) with ``overrides`` on top."""
        return replace(cls(**HARD_OPTIONS), **overrides)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid option."""
        ints = {
            'seed': (0, None), 'num_videos': (1, None), 'num_val_videos': (1, None),
            'num_frames': (1, 9999), 'max_people': (1, 30), 'width': (32, 8192),
            'height': (32, 8192), 'label_every': (1, None), 'dense_frames': (0, None),
            'min_keypoints': (1, 15), 'jpeg_quality': (1, 100), 'shot_cuts': (1, 50),
            'crossing_pairs': (0, 15), 'det_dropout_len': (1, 9999)
        }
        for name, (low, high) in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f'{name} must be an int, got {value!r}')
            if value < low or (high is not None and value > high):
                bound = f'>= {low}' if high is None else f'in [{low}, {high}]'
                raise ValueError(f'{name} must be {bound}, got {value!r}')
        floats = {
            'length_jitter': (0.0, 0.99), 'ignore_region_ratio': (0.0, 1.0),
            'similar_pair_ratio': (0.0, 1.0), 'det_miss_rate': (0.0, 1.0),
            'det_duplicate_rate': (0.0, 1.0), 'det_false_positives': (0.0, 20.0),
            'det_box_jitter': (0.0, 1.0), 'det_keypoint_jitter': (0.0, 1.0), 'fps': (1e-3, 1e3),
            'camera_strength': (1.0, 20.0), 'det_dropout': (0.0, 1.0)
        }
        for name, (low, high) in floats.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not low <= value <= high:
                raise ValueError(f'{name} must be a number in [{low}, {high}], got {value!r}')
        if isinstance(self.splits, str) or not self.splits or \
                len(set(self.splits)) != len(self.splits) or \
                not all(isinstance(s, str) and _SPLIT_RE.match(s) for s in self.splits):
            raise ValueError(f'splits must be a non-empty sequence of distinct names made of '
                             f'[A-Za-z0-9_-], got {self.splits!r}')
        if isinstance(self.camera_modes, str) or not self.camera_modes or \
                not set(self.camera_modes) <= set(CAMERA_MODES):
            raise ValueError(f'camera_modes must be a non-empty subset of {CAMERA_MODES}, '
                             f'got {self.camera_modes!r}')
        if not isinstance(self.write_video, bool):
            raise ValueError(f'write_video must be a bool, got {self.write_video!r}')
        if sum(self.videos_in(s) for s in self.splits) > 999999:
            raise ValueError('num_videos/num_val_videos: at most 999999 videos in all')

    def videos_in(self, split: str) -> int:
        """Number of videos of ``split``."""
        return self.num_val_videos if split == 'val' else self.num_videos

    def recorded(self) -> Dict[str, Any]:
        """The options as written to ``meta.json``: every field, except the robustness options
        (:data:`ROBUSTNESS_FIELDS`) left at their defaults, so older outputs stay byte-identical."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ROBUSTNESS_FIELDS or getattr(self, f.name) != f.default}


#: Options added for harder splits (issue 13); their defaults reproduce the default set exactly.
#: ``camera_strength`` s: pans and zooms sweep back and forth s times over the video with the same
#: amplitude, so the camera moves s times as fast; ``shot_cuts``: cuts per ``'shot_cut'`` video;
#: ``crossing_pairs``: pairs of people that walk past each other at different depths;
#: ``det_dropout``: per person and frame, the probability that the person drops out of the
#: detections for a run of 1..``det_dropout_len`` frames (the ground truth keeps them).
ROBUSTNESS_FIELDS = ('camera_strength', 'shot_cuts', 'crossing_pairs', 'det_dropout',
                     'det_dropout_len')

#: The ``hard`` preset: fast back-and-forth pans and zooms, three cuts per shot-cut video and
#: two of those in every four videos, crowds of up to 10 people with three crossing pairs, and
#: people dropping out of the detections for 1..4 frames. Only the val split, written to
#: ``data/synthetic_posetrack18_hard`` by the command line's ``--preset hard``.
HARD_OPTIONS: Dict[str, Any] = dict(
    splits=('val', ),
    camera_modes=('pan', 'shot_cut', 'pan_zoom', 'shot_cut', 'zoom'),
    camera_strength=5.0,
    shot_cuts=3,
    max_people=10,
    crossing_pairs=3,
    det_dropout=0.04,
    det_dropout_len=4,
)

#: Named option sets: the command line's ``--preset`` and ``generate_synthetic_posetrack18``'s
#: ``preset`` (fields not listed keep :class:`SyntheticPoseTrackOptions`' defaults).
PRESETS: Dict[str, Dict[str, Any]] = {'default': {}, 'hard': HARD_OPTIONS}
