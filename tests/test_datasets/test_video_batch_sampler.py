"""VideoBatchSampler: training batches of one video (TKMRNet's matching pairs, Sec. 3.2)."""
from collections import Counter

import pytest
from mmengine.dataset import DefaultSampler
from torch.utils.data import SequentialSampler

from mmpose_track.datasets.samplers import VideoBatchSampler


class _Videos:
    def __init__(self, sizes):
        self.video_ids = [f'v{v}' for v, n in enumerate(sizes) for _ in range(n)]

    def __len__(self):
        return len(self.video_ids)


@pytest.mark.parametrize('drop_last', [False, True])
def test_full_batches_are_one_video_and_every_index_once(drop_last):
    sizes = (11, 5, 8, 3)  # 27 samples; batch 4: full buckets 2 + 1 + 2 + 0 = 5, 7 left
    ds = _Videos(sizes)
    bs = VideoBatchSampler(DefaultSampler(ds, shuffle=True, seed=3), batch_size=4,
                           drop_last=drop_last)
    batches = list(bs)
    full = [b for b in batches if len({ds.video_ids[i] for i in b}) == 1 and len(b) == 4]
    assert len(full) == 5  # floor(11/4) + floor(5/4) + floor(8/4) + floor(3/4)
    seen = Counter(i for b in batches for i in b)
    if drop_last:  # 7 leftovers: one mixed batch of 4, 3 dropped
        assert len(batches) == len(bs) == 6 and len(seen) == 24
    else:  # 7 leftovers: mixed batches of 4 and 3
        assert len(batches) == len(bs) == 7 and sorted(seen) == list(range(27))
        assert [len(b) for b in batches[-2:]] == [4, 3]
    assert max(seen.values()) == 1
    assert all(len(b) == 4 for b in batches[:5])  # the one-video batches come first here


def test_epochs_differ_and_are_reproducible():
    ds = _Videos((9, 9))
    a = DefaultSampler(ds, shuffle=True, seed=0)
    bs = VideoBatchSampler(a, batch_size=3)
    e0 = list(bs)
    a.set_epoch(1)
    e1 = list(bs)
    a.set_epoch(0)
    assert list(bs) == e0 and e0 != e1


def test_bad_arguments():
    with pytest.raises(ValueError, match='batch_size'):
        VideoBatchSampler(SequentialSampler(range(3)), batch_size=0)
    with pytest.raises(TypeError, match='dataset'):
        VideoBatchSampler(SequentialSampler(range(3)), batch_size=2)
