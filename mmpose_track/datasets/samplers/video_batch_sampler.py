"""Training batch sampler whose batches hold samples of one video."""
from typing import Iterator, List

from mmpose.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler

from .video_grouped_sampler import _sample_video_ids

__all__ = ['VideoBatchSampler']


@DATA_SAMPLERS.register_module()
class VideoBatchSampler(BatchSampler):
    """Batches of samples from one video, for losses that pair different people of a video.

    TKMRNet's matching module (Zhou et al. 2020, Sec. 3.2, Fig. 4) learns from keypoint pairs of
    person examples within ``tau`` frames of one video: the positives are the same track, the
    negatives that teach it to tell people apart are other tracks of the same video.
    ``PoseTrack18ClipDataset`` packs one person tube per sample, so a batch of random samples
    rarely holds two people of a video; this sampler buckets the indices of the inner sampler
    (MMEngine's ``DefaultSampler``: shuffled, seeded, split across ranks) by video, as MMDet's
    ``AspectRatioBatchSampler`` buckets by aspect ratio, and yields a bucket when it is full.
    The samples left in unfilled buckets at the end of an epoch are batched together (mixed
    videos) unless ``drop_last``. The video of a sample is ``dataset.video_ids[i]`` or
    ``dataset.get_data_info(i)['video_id']``.

    Config: ``train_dataloader = dict(batch_size=8, sampler=dict(type='DefaultSampler',
    shuffle=True), batch_sampler=dict(type='VideoBatchSampler'), ...)``; MMEngine passes the
    sampler and the dataloader's ``batch_size``.

    Args:
        sampler (Sampler): the inner sampler; its ``dataset`` gives the videos.
        batch_size (int): samples per batch.
        drop_last (bool): drop the last mixed batch smaller than ``batch_size``.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False) -> None:
        if not isinstance(sampler, Sampler):
            raise TypeError(f'VideoBatchSampler: sampler must be a torch Sampler, got '
                            f'{type(sampler).__name__}')
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'VideoBatchSampler: batch_size must be a positive integer, got '
                             f'{batch_size!r}')
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise TypeError('VideoBatchSampler: the inner sampler has no `dataset` '
                            '(use MMEngine\'s DefaultSampler)')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.video_of = _sample_video_ids(dataset)

    def __iter__(self) -> Iterator[List[int]]:
        buckets: dict = {}
        for idx in self.sampler:
            bucket = buckets.setdefault(self.video_of[idx], [])
            bucket.append(idx)
            if len(bucket) == self.batch_size:
                yield bucket[:]
                del bucket[:]
        left = [i for bucket in buckets.values() for i in bucket]
        while left:
            if len(left) < self.batch_size and self.drop_last:
                return
            yield left[:self.batch_size]
            left = left[self.batch_size:]

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
