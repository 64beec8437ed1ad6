"""Test-time sampler keeping every video whole, in frame order, on one rank."""
import warnings
from typing import Dict, Iterator, List, Optional, Sequence, Sized

import numpy as np
from mmengine.dist import get_dist_info
from mmpose.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


def _sample_video_ids(dataset: Sized) -> List[str]:
    ids = getattr(dataset, 'video_ids', None)
    if ids is not None and len(ids) == len(dataset):
        return list(ids)
    if hasattr(dataset, 'get_data_info'):
        return [dataset.get_data_info(i)['video_id'] for i in range(len(dataset))]
    raise TypeError(f'{type(dataset).__name__} gives no video of its samples: '
                    'expected a `video_ids` attribute or `get_data_info(i)["video_id"]`')


def split_videos(sizes: Sequence[int], world_size: int) -> List[int]:
    """Boundaries ``b_0 = 0 <= b_1 <= ... <= b_W = len(sizes)`` cutting the videos (in order)
    into ``world_size`` contiguous chunks of about equal sample counts; every chunk gets at least
    one video when there are at least ``world_size`` videos."""
    n = len(sizes)
    cum = np.cumsum(sizes) if n else np.zeros(0)
    total = cum[-1] if n else 0
    bounds = [0]
    for r in range(1, world_size):
        lo, hi = bounds[-1] + 1, n - (world_size - r)
        if lo > hi:  # fewer videos than ranks left: the last ranks get nothing
            bounds.append(min(lo, n))
            continue
        target = total * r / world_size
        cand = np.arange(lo, hi + 1)
        bounds.append(int(cand[np.argmin(np.abs(cum[cand - 1] - target))]))
    bounds.append(n)
    return bounds


@DATA_SAMPLERS.register_module()
class VideoGroupedSampler(Sampler):
    """Splits whole videos across ranks; yields the indices of each rank in (video, frame) order.

    MMDet's ``TrackImgSampler`` does this for ``BaseVideoDataset`` (length = number of videos,
    indexed by ``(video, frame)`` tuples); the PoseTrack18 datasets of this package are indexed
    per sample (a frame, or a person box in top-down), so this sampler reads the video of every
    sample from ``dataset.video_ids`` (or ``get_data_info(i)['video_id']``).

    The videos, in the order of their first sample, are cut into ``world_size`` contiguous chunks
    balanced by sample count; a rank yields the indices of its videos, each video's indices in
    increasing order (the datasets order a video's samples by frame). No sample is padded or
    repeated, so ranks may get unequal lengths: MMEngine's test loop runs each rank's dataloader to
    its end, and ``collect_results`` (``zip_longest``) loses nothing, but it interleaves the ranks'
    results, so a metric must group results by ``video_id`` / ``frame_idx``, not by arrival order.
    With fewer videos than ranks, the last ranks get no sample (a warning is printed).
    For test / val dataloaders only (nothing is shuffled).

    Args:
        dataset (Sized): dataset with per-sample ``video_ids``.
        seed (int, optional): unused (MMEngine passes it to every sampler).
        rank (int, optional), world_size (int, optional): override ``get_dist_info()``.
    """

    def __init__(self, dataset: Sized, seed: Optional[int] = None, rank: Optional[int] = None,
                 world_size: Optional[int] = None):
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'rank {self.rank} out of range for world_size {self.world_size}')
        self.dataset = dataset
        video_of = _sample_video_ids(dataset)
        videos: Dict[str, List[int]] = {}
        for i, v in enumerate(video_of):
            videos.setdefault(v, []).append(i)
        self.video_order = list(videos)
        if len(self.video_order) < self.world_size:
            warnings.warn(f'VideoGroupedSampler: {len(self.video_order)} videos for '
                          f'{self.world_size} ranks; some ranks get no sample')
        bounds = split_videos([len(videos[v]) for v in self.video_order], self.world_size)
        self.rank_videos = [self.video_order[bounds[r]:bounds[r + 1]]
                            for r in range(self.world_size)]
        self.indices = [i for v in self.rank_videos[self.rank] for i in videos[v]]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        """Nothing to do (kept for the runner's interface)."""
