from .video_batch_sampler import VideoBatchSampler
from .video_grouped_sampler import VideoGroupedSampler, split_videos

__all__ = ['VideoBatchSampler', 'VideoGroupedSampler', 'split_videos']
